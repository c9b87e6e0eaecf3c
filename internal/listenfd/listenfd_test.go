package listenfd_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/listenfd"
)

// helperEnv switches the test binary into a helper process: the tests
// start it with real descriptors at 3, 4, ... as systemd or an old Brick
// would, and it reports what listenfd made of them.
const helperEnv = "LISTENFD_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "inherited":
		os.Exit(helperInherited())
	case "upgraded":
		os.Exit(helperUpgraded())
	case "fail":
		os.Exit(3)
	case "hang":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// report is what the "inherited" helper prints on stdout.
type report struct {
	Err       string
	Names     []string
	Addrs     []string
	Activated []bool
	// Env lists the protocol variables still set after Inherited.
	Env []string
	// Before and After list the descriptors from 3 up that a child of
	// this process would get (open and without close-on-exec), at the
	// start and after Inherited.
	Before, After []int
}

var protocolVars = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "BRICK_LISTEN_FDS", "BRICK_LISTEN_NAMES"}

func helperInherited() int {
	var rep report
	rep.Before = inheritable()
	lns, err := listenfd.Inherited()
	if err != nil {
		rep.Err = err.Error()
	}
	for _, l := range lns {
		rep.Names = append(rep.Names, l.Name)
		rep.Addrs = append(rep.Addrs, l.Addr().String())
		rep.Activated = append(rep.Activated, l.Activated)
	}
	for _, k := range protocolVars {
		if _, ok := os.LookupEnv(k); ok {
			rep.Env = append(rep.Env, k)
		}
	}
	rep.After = inheritable()
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// inheritable lists this process's descriptors from 3 up that lack
// close-on-exec, which every child it starts would get.
func inheritable() []int {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []int
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, _ := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				if flags&0o2000000 == 0 { // O_CLOEXEC
					out = append(out, fd)
				}
			}
		}
	}
	return out
}

// helperUpgraded is the new process of an Upgrade: it takes the sockets,
// says it serves, and answers one connection on each with its name and
// pid.
func helperUpgraded() int {
	before := inheritable()
	lns, err := listenfd.Inherited()
	if err != nil || len(lns) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no sockets:", err)
		return 1
	}
	listenfd.Ready()
	for _, l := range lns {
		c, err := l.Accept()
		if err != nil {
			return 1
		}
		fmt.Fprintf(c, "%s %d %v\n", l.Name, os.Getpid(), below(before, 3+len(lns)+1))
		c.Close()
	}
	return 0
}

// listeners opens n loopback listeners and returns them with their files,
// to hand to a child as descriptors 3, 4, ...
func listeners(t *testing.T, n int) ([]net.Listener, []*os.File) {
	t.Helper()
	var lns []net.Listener
	var files []*os.File
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close(); f.Close() })
		lns, files = append(lns, ln), append(files, f)
	}
	return lns, files
}

func TestInherited(t *testing.T) {
	notSocket, err := os.Create(filepath.Join(t.TempDir(), "plain"))
	if err != nil {
		t.Fatal(err)
	}
	defer notSocket.Close()
	tests := []struct {
		name string
		// sockets is how many listening sockets the child gets at 3, 4...;
		// file adds a regular file after them.
		sockets int
		file    bool
		// env is the child's protocol variables; LISTEN_PID=self becomes
		// the child's own pid (set by sh before it execs the child).
		env       []string
		wantNames []string // nil: no listeners
		wantErr   string
	}{
		{name: "started normally"},
		{name: "systemd, one socket", sockets: 1, env: []string{"LISTEN_PID=self", "LISTEN_FDS=1"}, wantNames: []string{""}},
		{name: "systemd, names split on colons", sockets: 2,
			env: []string{"LISTEN_PID=self", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin"}, wantNames: []string{"web", "admin"}},
		{name: "systemd, fewer names than sockets", sockets: 2,
			env: []string{"LISTEN_PID=self", "LISTEN_FDS=2", "LISTEN_FDNAMES=web"}, wantNames: []string{"web", ""}},
		{name: "systemd, LISTEN_PID of another process is ignored", sockets: 1, env: []string{"LISTEN_PID=1", "LISTEN_FDS=1"}},
		{name: "systemd, LISTEN_PID not a number is ignored", sockets: 1, env: []string{"LISTEN_PID=me", "LISTEN_FDS=1"}},
		{name: "systemd, no LISTEN_PID is ignored", sockets: 1, env: []string{"LISTEN_FDS=1"}},
		{name: "systemd, zero sockets", env: []string{"LISTEN_PID=self", "LISTEN_FDS=0"}},
		{name: "systemd, count not a number", sockets: 1, env: []string{"LISTEN_PID=self", "LISTEN_FDS=one"}, wantErr: `LISTEN_FDS="one" is not a count`},
		{name: "systemd, negative count", sockets: 1, env: []string{"LISTEN_PID=self", "LISTEN_FDS=-1"}, wantErr: `LISTEN_FDS="-1" is not a count`},
		{name: "systemd, huge count", sockets: 1, env: []string{"LISTEN_PID=self", "LISTEN_FDS=100000"}, wantErr: `LISTEN_FDS="100000" is not a count`},
		{name: "systemd, more counted than given", sockets: 1, env: []string{"LISTEN_PID=self", "LISTEN_FDS=2"}, wantErr: "descriptor 4 is not a listening socket"},
		{name: "systemd, a regular file", sockets: 1, file: true, env: []string{"LISTEN_PID=self", "LISTEN_FDS=2"}, wantErr: "descriptor 4 is not a listening socket"},
		{name: "brick, names split on commas", sockets: 3,
			env:       []string{"BRICK_LISTEN_FDS=3", "BRICK_LISTEN_NAMES=127.0.0.1:8080,[::1]:8443,:9100"},
			wantNames: []string{"127.0.0.1:8080", "[::1]:8443", ":9100"}},
		{name: "brick, no names", sockets: 1, env: []string{"BRICK_LISTEN_FDS=1"}, wantNames: []string{""}},
		{name: "brick needs no LISTEN_PID", sockets: 1, env: []string{"LISTEN_PID=1", "BRICK_LISTEN_FDS=1", "BRICK_LISTEN_NAMES=:80"}, wantNames: []string{":80"}},
		{name: "brick wins over systemd", sockets: 1,
			env: []string{"LISTEN_PID=self", "LISTEN_FDS=1", "LISTEN_FDNAMES=unit", "BRICK_LISTEN_FDS=1", "BRICK_LISTEN_NAMES=:80"}, wantNames: []string{":80"}},
		{name: "brick, count not a number", sockets: 1, env: []string{"BRICK_LISTEN_FDS=x"}, wantErr: `BRICK_LISTEN_FDS="x" is not a count`},
		{name: "brick, negative count", sockets: 1, env: []string{"BRICK_LISTEN_FDS=-2"}, wantErr: `BRICK_LISTEN_FDS="-2" is not a count`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lns, files := listeners(t, tc.sockets)
			if tc.file {
				files = append(files, notSocket)
			}
			env := []string{helperEnv + "=inherited"}
			self := false
			for _, kv := range tc.env {
				if kv == "LISTEN_PID=self" {
					self = true
					continue
				}
				env = append(env, kv)
			}
			cmd := exec.Command(os.Args[0])
			if self {
				cmd = exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0"`, os.Args[0])
			}
			cmd.Env = append(cleanEnv(), env...)
			cmd.ExtraFiles = files
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			var rep report
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("helper output %q: %v", out, err)
			}
			if tc.wantErr != "" {
				if !strings.Contains(rep.Err, tc.wantErr) || len(rep.Names) > 0 {
					t.Errorf("Inherited() = %q, err %q; want no listeners and an error containing %q", rep.Names, rep.Err, tc.wantErr)
				}
			} else {
				if rep.Err != "" || !slices.Equal(rep.Names, tc.wantNames) {
					t.Errorf("Inherited() names %q, err %q; want %q", rep.Names, rep.Err, tc.wantNames)
				}
				for i := range rep.Addrs {
					if want := lns[i].Addr().String(); rep.Addrs[i] != want {
						t.Errorf("listener %d is %s, want %s (descriptor %d)", i, rep.Addrs[i], want, 3+i)
					}
					// systemd's names are its units', never addresses.
					if want := strings.HasPrefix(tc.name, "systemd"); rep.Activated[i] != want {
						t.Errorf("listener %d: Activated %v, want %v", i, rep.Activated[i], want)
					}
				}
			}
			if len(rep.Env) > 0 {
				t.Errorf("Inherited left %v set; Brick's children would see them", rep.Env)
			}
			// The sockets must not leak into the processes Brick starts
			// (WSGI workers), also those it starts before it calls
			// Inherited: they are close-on-exec from the start.
			if len(tc.wantNames) > 0 {
				if fds := below(rep.Before, 3+len(files)); len(fds) > 0 {
					t.Errorf("descriptors %v would be inherited by children started before Inherited", fds)
				}
			}
			if fds := below(rep.After, 3+len(files)); len(fds) > 0 && tc.wantErr == "" && len(tc.wantNames) > 0 {
				t.Errorf("descriptors %v would be inherited by children started after Inherited", fds)
			}
		})
	}
}

// below keeps the descriptors under n: those a test handed over (the
// test binary may itself have inherited others from its runner).
func below(fds []int, n int) []int {
	var out []int
	for _, fd := range fds {
		if fd < n {
			out = append(out, fd)
		}
	}
	return out
}

// cleanEnv is this process's environment without the protocols'
// variables, which a test runner might set. Under the race detector a
// helper does not wait the detector's second at exit.
func cleanEnv() []string {
	env := []string{"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(protocolVars, k) && k != "BRICK_READY_FD" && k != helperEnv && k != "GORACE" {
			env = append(env, kv)
		}
	}
	return env
}

// TestUpgrade hands two listeners to a new copy of the test binary, which
// answers on each with the name it got them under and its pid.
func TestUpgrade(t *testing.T) {
	lns, _ := listeners(t, 2)
	named := []listenfd.Listener{{Listener: lns[0], Name: "127.0.0.1:0"}, {Listener: lns[1], Name: "[::1]:9100"}}
	t.Setenv(helperEnv, "upgraded")
	pid, err := listenfd.Upgrade(named, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if pid <= 0 || pid == os.Getpid() {
		t.Fatalf("Upgrade returned pid %d", pid)
	}
	for _, l := range named {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		// The new process also got the descriptors close-on-exec from
		// its start ("[]"), ready pipe included.
		if want := fmt.Sprintf("%s %d []\n", l.Name, pid); line != want || err != nil {
			t.Errorf("the new process answered %q, %v on %s; want %q", line, err, l.Addr(), want)
		}
	}
}

// TestUpgradeFails: a new process that exits or never says it serves is
// an error, and the caller keeps its listeners.
func TestUpgradeFails(t *testing.T) {
	tests := []struct {
		helper  string
		timeout time.Duration
		wantErr string
		within  time.Duration
	}{
		{"fail", 30 * time.Second, "exited before serving: exit status 3", 20 * time.Second},
		{"hang", 500 * time.Millisecond, "did not serve within 500ms", 20 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.helper, func(t *testing.T) {
			lns, _ := listeners(t, 1)
			t.Setenv(helperEnv, tc.helper)
			t0 := time.Now()
			_, err := listenfd.Upgrade([]listenfd.Listener{{Listener: lns[0], Name: "x"}}, tc.timeout)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Upgrade: %v; want an error containing %q", err, tc.wantErr)
			}
			if took := time.Since(t0); took > tc.within {
				t.Errorf("Upgrade took %v to fail", took)
			}
			// The listener still works here.
			go func() {
				if c, err := net.Dial("tcp", lns[0].Addr().String()); err == nil {
					c.Close()
				}
			}()
			lns[0].(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			c, err := lns[0].Accept()
			if err != nil {
				t.Fatalf("the listener no longer accepts after a failed upgrade: %v", err)
			}
			c.Close()
		})
	}
}

// TestReadyWithoutUpgrade: Ready does nothing in a process that was not
// started by an upgrade, or whose BRICK_READY_FD is not a descriptor it
// may write to.
func TestReadyWithoutUpgrade(t *testing.T) {
	for _, v := range []string{"", "x", "1", "-5"} {
		t.Setenv("BRICK_READY_FD", v)
		listenfd.Ready() // must not write to stdout or panic
		if _, ok := os.LookupEnv("BRICK_READY_FD"); ok && v != "" {
			t.Errorf("BRICK_READY_FD=%q is still set after Ready", v)
		}
	}
}
