//go:build unix

package procpool

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// python is the interpreter the tests run. It is named by its full path:
// a "python3" found in PATH may be a version manager's shim that takes
// seconds to start.
const python = "/usr/bin/python3"

// collector gathers what a child writes, for Spec.Output.
type collector struct {
	mu    sync.Mutex
	lines []string
}

func (c *collector) add(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, string(line))
}

func (c *collector) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

// waitLine waits until the child has printed want, typically a "ready"
// line that says a signal handler is in place.
func (c *collector) waitLine(t *testing.T, want string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if slices.Contains(c.get(), want) {
			return
		}
	}
	t.Fatalf("child never printed %q; output: %q", want, c.get())
}

// startSh starts /bin/sh -c script with its output going to c.
func startSh(t *testing.T, script string, c *collector) *Process {
	t.Helper()
	return startSpec(t, Spec{Path: "/bin/sh", Args: []string{"-c", script}, Output: c.add})
}

// startSpec starts spec and makes sure the child is gone when the test
// ends, whatever happened.
func startSpec(t *testing.T, spec Spec) *Process {
	t.Helper()
	p, err := Start(spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		<-p.Done()
	})
	return p
}

// waitDone waits for Done, failing the test after a generous timeout.
func waitDone(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("child %d not done after 5s", p.Pid())
	}
}

// waitGone waits until pid has died: no such process, or a zombie left
// for an init that does not reap (as in some containers).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) || procState(pid) == "Z" {
			return
		}
	}
	t.Errorf("process %d still alive (state %q)", pid, procState(pid))
}

// procState returns the state letter from /proc/PID/stat ("R", "S",
// "Z"...), or "" if there is none (the process is gone, or no /proc).
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name in parentheses may contain spaces; the state
	// follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 0 {
			return f[0]
		}
	}
	return ""
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
