package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTurn(t *testing.T) {
	tests := []struct {
		run, n int
		want   []int
	}{
		{0, 1, []int{0}},
		{3, 1, []int{0}},
		{0, 3, []int{0, 1, 2}},
		{1, 3, []int{1, 2, 0}},
		{2, 3, []int{2, 0, 1}},
		{3, 3, []int{0, 1, 2}},
		{1, 4, []int{1, 2, 3, 0}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("run %d of %d slots", tc.run, tc.n), func(t *testing.T) {
			if got := turn(tc.run, tc.n); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("turn(%d, %d) = %v, want %v", tc.run, tc.n, got, tc.want)
			}
		})
	}
}

// TestAlone: the scenarios that measure memory, or need the backend or
// the server to themselves, keep one server up at a time; the others take
// turns, and their tables say which.
func TestAlone(t *testing.T) {
	tests := []struct {
		name  string
		sc    scenario
		alone bool
	}{
		{"plaintext", scenario{name: "plaintext", runs: 3}, false},
		{"pipelined", scenario{name: "pipelined", runs: 3, pipeline: 16}, false},
		{"static", scenario{name: "static-1m", runs: 3, file: "/1m.bin"}, false},
		{"tls handshake", scenario{name: "tls-handshake", runs: 3, tls: true, closeConn: true, fullHandshake: true}, false},
		{"h2 with its HTTP/1.1 pair", h2Static(time.Second, 3, 16), false},
		{"wsgi", scenario{name: "wsgi-bare-1w", runs: 3, app: "bare", workers: 1}, false},
		{"asgi websocket", scenario{name: "asgi-wsecho-1w", runs: 3, app: "wsecho", asgi: true, ws: true, workers: 1}, false},
		{"proxy", scenario{name: "proxy", runs: 3, gateway: "proxy"}, false},
		{"php", scenario{name: "php", runs: 3, gateway: "php"}, true},
		{"idle", scenario{name: "idle", idleConns: 10000}, true},
		{"h2 idle", scenario{name: "h2c-idle", idleConns: 10000, h2: true}, true},
		{"tls idle", scenario{name: "tls-idle", idleConns: 10000, tls: true}, true},
		{"wsgi-slow", scenario{name: "wsgi-slow-flask-1w", runs: 1, app: "flask", workers: 1, slow: 200}, true},
	}
	specs := []serverSpec{{name: "a"}, {name: "b"}, {name: "c"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.sc.alone() != ""; got != tc.alone {
				t.Errorf("alone() = %q, want alone %v", tc.sc.alone(), tc.alone)
			}
			wantGroups, wantNote := 1, "their runs took turns"
			if tc.alone {
				wantGroups, wantNote = len(specs), "One server was up at a time: "+tc.sc.alone()
			}
			if g := groups(specs, tc.sc); len(g) != wantGroups {
				t.Errorf("groups: %d, want %d", len(g), wantGroups)
			}
			if note := turnsNote(tc.sc); !strings.Contains(note, wantNote) {
				t.Errorf("turnsNote = %q, want it to say %q", note, wantNote)
			}
		})
	}
}

// TestSlotsOf: the paired HTTP/1.1 row is a turn of its own on Brick's
// server, beside its HTTP/2 row.
func TestSlotsOf(t *testing.T) {
	servers := []*live{{spec: serverSpec{name: "brick"}}, {spec: serverSpec{name: "nginx"}}}
	tests := []struct {
		name      string
		sc        scenario
		wantNames []string
		wantH2    []bool
	}{
		{"h2 file, paired", h2Static(time.Second, 2, 16), []string{"brick", brickHTTP1, "nginx"}, []bool{true, false, true}},
		{"h2c, alone", scenario{name: "h2c", h2: true}, []string{"brick", "nginx"}, []bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			var h2 []bool
			for _, sl := range slotsOf(servers, tc.sc) {
				names, h2 = append(names, sl.name), append(h2, sl.load.h2)
			}
			if !reflect.DeepEqual(names, tc.wantNames) || !reflect.DeepEqual(h2, tc.wantH2) {
				t.Errorf("slots %v (h2 %v), want %v (h2 %v)", names, h2, tc.wantNames, tc.wantH2)
			}
		})
	}
}

func TestCPUShare(t *testing.T) {
	tests := []struct {
		ticks   int64
		elapsed time.Duration
		busy    bool
	}{
		{0, time.Second, false},
		{2, time.Second, false}, // an arbiter's wake-ups
		{3, time.Second, true},
		{3, 2 * time.Second, false},
		{100, time.Second, true},
		{5, 0, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d ticks in %s", tc.ticks, tc.elapsed), func(t *testing.T) {
			if busy := cpuShare(tc.ticks, tc.elapsed) > idleBusy; busy != tc.busy {
				t.Errorf("cpuShare = %.3f: busy %v, want %v", cpuShare(tc.ticks, tc.elapsed), busy, tc.busy)
			}
		})
	}
}

// TestMeasureGroupTakesTurns: the servers of a scenario are all up while
// each one's runs are measured, the order rotates from run to run, a
// server that does not start or dies gets its error while the others are
// still measured, and none is left running.
func TestMeasureGroupTakesTurns(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	names := map[int]string{} // port -> server
	helloServer := func(name string) serverSpec {
		return serverSpec{name: name, start: func(port, nofile int) (*exec.Cmd, error) {
			names[port] = name
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), listenEnv+"="+strconv.Itoa(port))
			return cmd, nil
		}}
	}
	specs := []serverSpec{
		helloServer("a"),
		{name: "broken", start: func(port, nofile int) (*exec.Cmd, error) {
			return exec.Command("sh", "-c", "echo cannot bind >&2; exit 3"), nil
		}},
		helloServer("b"),
		helloServer("dies"),
	}
	sc := scenario{name: "plaintext", dur: 2 * time.Second, runs: 3, conns: 2}
	var warmed, measured []string
	h := &harness{root: root, tmp: t.TempDir()}
	h.client = func(ctx context.Context, port int, _ scenario, d time.Duration) (wrkResult, error) {
		name := names[port]
		if d != sc.dur {
			warmed = append(warmed, name)
			return wrkResult{rps: 1, requests: 1}, nil
		}
		measured = append(measured, name)
		// Every server still in the scenario is up during each turn.
		for p, other := range names {
			if other == "dies" && name != "dies" && slices.Contains(measured, "dies") {
				continue
			}
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second); err != nil {
				t.Errorf("during %s's turn, %s is down: %v", name, other, err)
			} else {
				c.Close()
			}
		}
		if name == "dies" {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/exit", port))
			if err == nil {
				resp.Body.Close()
			}
			return wrkResult{}, fmt.Errorf("wrk: connection refused")
		}
		return wrkResult{rps: 1000, requests: 2000}, nil
	}
	out := h.measureGroup(context.Background(), specs, sc)

	if want := []string{"a", "b", "dies"}; !reflect.DeepEqual(warmed, want) {
		t.Errorf("warmed up %v, want %v", warmed, want)
	}
	// Slots a, broken, b, dies: run 1 from a, run 2 from broken, run 3
	// from b; broken never started and dies died in its first turn.
	if want := []string{"a", "b", "dies", "b", "a", "b", "a"}; !reflect.DeepEqual(measured, want) {
		t.Errorf("turns %v, want %v", measured, want)
	}
	for i, o := range out {
		name := specs[i].name
		switch name {
		case "a", "b":
			if o.err != nil || len(o.rows) != 1 || o.rows[0].server != name || o.rows[0].rps != 1000 {
				t.Errorf("%s: %+v, want one row of 1000 req/s", name, o)
			}
		case "broken":
			if o.err == nil || !strings.Contains(o.err.Error(), "cannot bind") {
				t.Errorf("%s: %+v, want its start-up error", name, o)
			}
		case "dies":
			if o.err == nil {
				t.Errorf("%s: %+v, want an error", name, o)
			}
		}
	}
	startedMu.Lock()
	left := len(started)
	startedMu.Unlock()
	if left != 0 {
		t.Errorf("%d processes left running", left)
	}
	for port, name := range names {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			t.Errorf("%s still answers on port %d", name, port)
		}
	}
}

// TestWarnBusyIdle: a server that uses CPU 0 with no load is named in a
// warning; one that sleeps is not.
func TestWarnBusyIdle(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		named bool
	}{
		{"spinner", "while :; do :; done", true},
		{"sleeper", "sleep 30", false},
	}
	var servers []*live
	for _, tc := range tests {
		cmd := exec.Command("sh", "-c", tc.cmd)
		done, err := launch(cmd)
		if err != nil {
			t.Fatal(err)
		}
		s := &live{spec: serverSpec{name: tc.name}, cmd: cmd, done: done, pid: cmd.Process.Pid}
		servers = append(servers, s)
	}
	defer stopAll(servers)
	var logged strings.Builder
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	warnBusyIdle("plaintext", servers, 300*time.Millisecond)
	for _, tc := range tests {
		if named := strings.Contains(logged.String(), tc.name+" ("); named != tc.named {
			t.Errorf("%s named in the warning: %v, want %v; log: %q", tc.name, named, tc.named, logged.String())
		}
	}
}
