package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/internal/testutil"
)

// TestShareOneCPU: a server that may run on one CPU only puts its own
// threads under SCHED_BATCH beside its workers, unless the workers run
// under the normal policy; with more CPUs it keeps the default policy.
func TestShareOneCPU(t *testing.T) {
	python := testutil.NeedPython(t)
	apps, err := filepath.Abs(wsgiApps)
	if err != nil {
		t.Fatal(err)
	}
	const other, batch = 0, 3 // SCHED_OTHER, SCHED_BATCH
	tests := []struct {
		name      string
		oneCPU    bool
		args      []string
		wantBrick int
	}{
		{"one CPU", true, nil, batch},
		{"one CPU, normal workers", true, []string{"--scheduling", "normal"}, other},
		{"all CPUs", false, nil, other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.oneCPU && runtime.NumCPU() == 1 {
				tc.wantBrick = batch // this machine has one CPU
			}
			args := append([]string{"wsgi", "rawapp:application", "--chdir", apps, "--python", python,
				"--workers", "1", "-addr", "127.0.0.1:0"}, tc.args...)
			var p *proc
			if tc.oneCPU {
				p = startOnCPU0(t, args...)
			} else {
				p = start(t, args...)
			}
			if status, _, _ := get(t, "http://"+p.addr+"/hello"); status != 200 {
				t.Fatalf("GET /hello = %d", status)
			}
			pid := p.cmd.Process.Pid
			tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if got := policy(t, "/proc/"+strconv.Itoa(pid)+"/task/"+task.Name()+"/stat"); got != tc.wantBrick {
					t.Errorf("brick thread %s runs under policy %d, want %d", task.Name(), got, tc.wantBrick)
				}
			}
		})
	}
}

// startOnCPU0 is start with the process allowed on CPU 0 only, as taskset
// -c 0 would start it.
func startOnCPU0(t *testing.T, args ...string) *proc {
	t.Helper()
	var p *proc
	onCPU0(t, func() { p = start(t, args...) })
	return p
}

// onCPU0 runs start, which starts a process, on a thread allowed on CPU
// 0 only: a child inherits the affinity of the thread that starts it.
func onCPU0(t *testing.T, start func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	one.Set(0)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &all)
	start()
}

// policy reads the scheduling policy of a thread from its stat file (the
// 41st field; the second, the command, may hold spaces).
func policy(t *testing.T, stat string) int {
	t.Helper()
	b, err := os.ReadFile(stat)
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(after)
	if len(f) < 39 {
		t.Fatalf("%s: %q", stat, b)
	}
	n, err := strconv.Atoi(f[38])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// schedConf is a file serving a WSGI app whose workers run under the
// policy {{sched}}.
const schedConf = `
[server]
listen = ["127.0.0.1:0"]
reload_grace = "2s"

[log]
access = "off"

[[site]]
  [[site.route]]
  path = "/"
  wsgi = { app = "rawapp:application", chdir = "{{apps}}", python = "{{python}}", workers = 1, scheduling = "{{sched}}" }
`

// TestShareOneCPUFollowsReload: on one CPU, a reload that moves the
// workers to the normal policy gives Brick's threads their own back once
// the old pool has closed, and one back to batch takes them under batch
// again.
func TestShareOneCPUFollowsReload(t *testing.T) {
	const other, batch = 0, 3 // SCHED_OTHER, SCHED_BATCH
	p, dir, conf := startBatchOnCPU0(t)
	for i, tc := range []struct {
		sched string
		want  int
	}{{"normal", other}, {"batch", batch}} {
		writeConf(t, dir, conf(tc.sched))
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, regexp.MustCompile(`msg="reloaded the configuration"`), i+1, 30*time.Second)
		waitPolicy(t, p.cmd.Process.Pid, tc.want)
	}
}

// startBatchOnCPU0 runs `brick run` on CPU 0 with schedConf's workers
// under batch, and waits until Brick's threads are under it too. It
// returns the process, its directory and schedConf for a policy.
func startBatchOnCPU0(t *testing.T) (p *runProc, dir string, conf func(sched string) string) {
	t.Helper()
	testutil.NeedPython(t)
	bin := binary(t)
	dir = t.TempDir()
	conf = func(sched string) string { return strings.ReplaceAll(schedConf, "{{sched}}", sched) }
	writeConf(t, dir, conf("batch"))
	onCPU0(t, func() { p = startRun(t, bin, dir, nil) })
	const batch = 3 // SCHED_BATCH
	waitPolicy(t, p.cmd.Process.Pid, batch)
	return p, dir, conf
}

// waitPolicy waits until every thread of pid runs under policy.
func waitPolicy(t *testing.T, pid, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			t.Fatal(err)
		}
		wrong := ""
		for _, task := range tasks {
			if got := policy(t, "/proc/"+strconv.Itoa(pid)+"/task/"+task.Name()+"/stat"); got != want {
				wrong = fmt.Sprintf("thread %s runs under policy %d", task.Name(), got)
			}
		}
		if wrong == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, want %d", wrong, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestShareOneCPUUpgrade: on one CPU, the process a binary upgrade
// starts has the scheduling policy Brick was started with, not the batch
// its pools held it under: with the file now asking for normal workers,
// its threads keep the default policy.
func TestShareOneCPUUpgrade(t *testing.T) {
	const other = 0 // SCHED_OTHER
	p, dir, conf := startBatchOnCPU0(t)
	writeConf(t, dir, conf("normal"))
	p.cmd.Process.Signal(syscall.SIGUSR2)
	m := p.waitLog(t, regexp.MustCompile(`msg="the new process serves; draining this one" new_pid=(\d+)`), 1, 60*time.Second)
	newPID, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(newPID, syscall.SIGKILL) })
	waitPolicy(t, newPID, other)
}
