package procpool

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReaped checks that every child is reaped once it exits, whether or
// not anyone waits on Done, so no zombie remains.
func TestReaped(t *testing.T) {
	tests := []struct {
		name   string
		script string
		kill   bool
	}{
		{"exits", `exit 0`, false},
		{"fails", `exit 7`, false},
		{"crashes", `kill -SEGV $$`, false},
		{"killed", `sleep 30`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c collector
			p := startSh(t, "ulimit -c 0; "+tc.script, &c)
			pid := p.Pid()
			if tc.kill {
				p.Kill()
			}
			// Nobody calls anything: the process must still disappear.
			for end := time.Now().Add(5 * time.Second); procState(pid) != ""; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("child %d still in /proc, state %q", pid, procState(pid))
				}
			}
			waitDone(t, p)
			// Reaped by us, not waiting for anyone: the kernel has no
			// child of that pid left.
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); !errors.Is(err, syscall.ECHILD) {
				t.Errorf("Wait4(%d) = %v, want ECHILD", pid, err)
			}
		})
	}
}

func TestRSS(t *testing.T) {
	var c collector
	p := startSh(t, `echo ready; sleep 30`, &c)
	c.waitLine(t, "ready")
	rss, err := p.RSS()
	if err != nil {
		t.Fatalf("RSS: %v", err)
	}
	if rss <= 0 || rss%int64(os.Getpagesize()) != 0 {
		t.Errorf("RSS() = %d, want a positive number of whole pages", rss)
	}
}

// TestPdeathsig runs a stand-in server (this test binary, as a helper)
// that starts a child and then dies without stopping it; the kernel must
// kill the child.
func TestPdeathsig(t *testing.T) {
	if os.Getenv("PROCPOOL_TEST_HELPER") == "pdeathsig" {
		p, err := Start(Spec{Path: "/bin/sleep", Args: []string{"30"}})
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString(itoa(p.Pid()) + "\n")
		os.Exit(3) // a crash, as far as the child can tell
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPdeathsig$")
	cmd.Env = append(os.Environ(), "PROCPOOL_TEST_HELPER=pdeathsig")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("helper: %v, output %q", err, out)
	}
	waitGone(t, atoi(t, string(out)))
}

// TestFaulthandlerDump is the case WaitQuiet exists for: SIGUSR1 makes a
// Python worker dump its stack, and WaitQuiet waits for the whole dump
// before the worker is killed.
func TestFaulthandlerDump(t *testing.T) {
	t.Parallel()
	var c collector
	p := startSpec(t, Spec{
		Path: python,
		Args: []string{"-c", `import faulthandler, signal, sys, time
faulthandler.register(signal.SIGUSR1, all_threads=True)
def hang_here():
    print("ready", flush=True)
    time.sleep(30)
hang_here()
`},
		Output: c.add,
	})
	c.waitLine(t, "ready")
	if err := p.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	p.WaitQuiet(200*time.Millisecond, 3*time.Second)
	p.Kill()
	waitDone(t, p)
	dump := strings.Join(c.get(), "\n")
	if !strings.Contains(dump, "hang_here") || !strings.Contains(dump, "most recent call first") {
		t.Errorf("no stack dump in the output:\n%s", dump)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
