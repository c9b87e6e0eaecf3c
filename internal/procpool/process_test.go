//go:build unix

package procpool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"empty path", Spec{}},
		{"missing executable", Spec{Path: "/nonexistent/brick-procpool-test"}},
		{"not in PATH", Spec{Path: "brick-procpool-no-such-program"}},
		{"missing dir", Spec{Path: "/bin/sh", Dir: "/nonexistent/dir"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Start(tc.spec)
			if err == nil {
				p.Kill()
				<-p.Done()
				t.Fatal("Start succeeded")
			}
			if !strings.HasPrefix(err.Error(), "procpool: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestSpec(t *testing.T) {
	dir := t.TempDir()
	var c collector
	p := startSpec(t, Spec{
		Path:   "sh", // looked up in PATH
		Args:   []string{"-c", `pwd; echo "$BRICK_A"; echo "${HOME-unset}"; read x; echo "stdin:$x"`},
		Dir:    dir,
		Env:    []string{"BRICK_A=hello"},
		Output: c.add,
	})
	waitDone(t, p)
	got := c.get()
	if len(got) != 4 {
		t.Fatalf("output %q, want 4 lines", got)
	}
	// pwd prints the physical path; dir may lie under a symlink.
	if real, err := filepath.EvalSymlinks(dir); err != nil || got[0] != real {
		t.Errorf("working dir %q, want %q (%v)", got[0], real, err)
	}
	if want := []string{"hello", "unset", "stdin:"}; !slices.Equal(got[1:], want) {
		t.Errorf("environment and stdin: %q, want %q", got[1:], want)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	const grace = 300 * time.Millisecond
	tests := []struct {
		name   string
		script string
		want   string
		killed bool // Stop had to wait out the grace period
	}{
		{"leaves on SIGTERM", `echo ready; sleep 30`, "killed by signal 15 (SIGTERM)", false},
		{"exits cleanly on SIGTERM", `trap 'exit 0' TERM; echo ready; while :; do sleep 0.01; done`, "exit status 0", false},
		{"ignores SIGTERM", `trap '' TERM; echo ready; sleep 30`, "killed by signal 9 (SIGKILL)", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c collector
			p := startSh(t, tc.script, &c)
			c.waitLine(t, "ready")
			start := time.Now()
			p.Stop(grace)
			took := time.Since(start)
			if !p.finished() {
				t.Fatal("Stop returned before Done")
			}
			if got := p.Exit(); got != tc.want {
				t.Errorf("Exit() = %q, want %q", got, tc.want)
			}
			if tc.killed && took < grace {
				t.Errorf("Stop took %v, less than the grace period %v", took, grace)
			}
			if !tc.killed && took >= grace {
				t.Errorf("Stop took %v, the whole grace period", took)
			}
		})
	}
}

// TestKillGroup checks that Kill reaches the child's own children, and
// that a child which exits leaves no orphans holding its output open.
func TestKillGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		kill   bool
	}{
		{"Kill", `sleep 30 & echo $!; wait`, true},
		{"child exits", `sleep 30 & echo $!`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c collector
			p := startSh(t, tc.script, &c)
			var pid int
			for end := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
				if l := c.get(); len(l) > 0 {
					pid = atoi(t, l[0])
				}
			}
			if pid == 0 {
				t.Fatal("no grandchild pid printed")
			}
			if tc.kill {
				p.Kill()
			}
			start := time.Now()
			waitDone(t, p)
			// The sleeping grandchild holds stdout: Done coming quickly
			// means it died rather than outputGrace running out.
			if took := time.Since(start); took >= outputGrace {
				t.Errorf("Done took %v", took)
			}
			waitGone(t, pid)
		})
	}
}

// TestEscapedGrandchild checks that Done still comes, after outputGrace,
// when a process that left the child's group keeps its stdout open.
func TestEscapedGrandchild(t *testing.T) {
	t.Parallel()
	var c collector
	// The parent waits until the grandchild has left the group, or the
	// group kill at its exit could catch the grandchild first.
	p := startSh(t, `exec `+python+` -c 'import os, time
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    print(os.getpid(), flush=True)
    os.write(w, b"x")
    time.sleep(30)
else:
    os.read(r, 1)
'`, &c)
	waitDone(t, p)
	got := c.get()
	if len(got) != 1 {
		t.Fatalf("output %q, want the grandchild's pid", got)
	}
	pid := atoi(t, got[0])
	syscall.Kill(pid, syscall.SIGKILL)
	if got := p.Exit(); got != "exit status 0" {
		t.Errorf("Exit() = %q", got)
	}
}

func TestSignal(t *testing.T) {
	t.Parallel()
	var c collector
	p := startSh(t, `trap 'echo got USR1; exit 4' USR1; echo ready; while :; do sleep 0.01; done`, &c)
	c.waitLine(t, "ready")
	if err := p.Signal(syscall.SIGUSR1); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	waitDone(t, p)
	if got := p.Exit(); got != "exit status 4" {
		t.Errorf("Exit() = %q", got)
	}
	if got := c.get(); !slices.Contains(got, "got USR1") {
		t.Errorf("output %q", got)
	}
	// A reaped child: nothing to do, no error, no stranger signalled.
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("Signal after Done: %v", err)
	}
	p.Kill()
	p.Stop(time.Second)
	if _, err := p.RSS(); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("RSS after Done: %v, want ErrProcessDone", err)
	}
}

func TestWaitQuiet(t *testing.T) {
	t.Parallel()
	// After "ready", writes a line every 30 ms for 150 ms, then "end",
	// then nothing. No fork between lines: a loaded machine can stretch a
	// shell loop's gaps beyond any quiet period a test can afford.
	const burst = `exec ` + python + ` -c 'import time
print("ready", flush=True)
for i in range(5):
    time.sleep(0.03)
    print(i, flush=True)
print("end", flush=True)
time.sleep(30)'`
	tests := []struct {
		name       string
		script     string // prints "ready" before anything WaitQuiet is to see
		quiet, max time.Duration
		min, limit time.Duration // WaitQuiet's duration must fall between
		wantEnd    bool          // the output must be complete on return
	}{
		{"until silence", burst, 300 * time.Millisecond, 5 * time.Second, 400 * time.Millisecond, 3 * time.Second, true},
		// Silent from the start: it is given five quiet periods to begin.
		{"silent child", `echo ready; sleep 30`, 100 * time.Millisecond, 5 * time.Second, 500 * time.Millisecond, 2 * time.Second, false},
		// An answer that starts late (a loaded machine) is waited for.
		{"late answer", `echo ready; sleep 0.3; echo end; sleep 30`, 100 * time.Millisecond, 5 * time.Second, 400 * time.Millisecond, 2 * time.Second, true},
		{"never silent", `echo ready; while :; do echo x; sleep 0.02; done`, 300 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second, false},
		{"child exits", `echo ready; sleep 0.1`, 10 * time.Second, 10 * time.Second, 0, 2 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c collector
			p := startSh(t, tc.script, &c)
			c.waitLine(t, "ready")
			start := time.Now()
			p.WaitQuiet(tc.quiet, tc.max)
			took := time.Since(start)
			if took < tc.min || took > tc.limit {
				t.Errorf("WaitQuiet took %v, want between %v and %v", took, tc.min, tc.limit)
			}
			if tc.wantEnd && !slices.Contains(c.get(), "end") {
				t.Errorf("WaitQuiet returned before the output ended: %q", c.get())
			}
		})
	}
}

func TestExtraFiles(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours := os.NewFile(uintptr(fds[0]), "ours")
	theirs := os.NewFile(uintptr(fds[1]), "theirs")
	defer ours.Close()
	p := startSpec(t, Spec{
		Path:       "/bin/sh",
		Args:       []string{"-c", `echo hello >&3; read line <&3; echo "child read $line" >&3`},
		ExtraFiles: []*os.File{theirs},
	})
	theirs.Close()
	if _, err := ours.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	ours.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 100)
	for {
		n, err := ours.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			// End of file: the child exited and ours was the last
			// copy of its end, so Start kept none open.
			break
		}
	}
	if want := "hello\nchild read ping\n"; string(got) != want {
		t.Errorf("read %q from fd 3, want %q", got, want)
	}
	waitDone(t, p)
}

func TestUptime(t *testing.T) {
	var c collector
	p := startSh(t, `sleep 0.2`, &c)
	if u := p.Uptime(); u < 0 {
		t.Errorf("Uptime() at start = %v", u)
	}
	if got, st := p.Exit(), p.State(); got != "" || st != nil {
		t.Errorf("before Done: Exit() = %q, State() = %v; want empty, nil", got, st)
	}
	waitDone(t, p)
	u := p.Uptime()
	if u < 200*time.Millisecond {
		t.Errorf("Uptime() after Done = %v, want >= 200ms", u)
	}
	time.Sleep(20 * time.Millisecond)
	if u2 := p.Uptime(); u2 != u {
		t.Errorf("Uptime() still moves after Done: %v, then %v", u, u2)
	}
	if st := p.State(); st == nil || !st.Success() {
		t.Errorf("State() = %v", st)
	}
}
