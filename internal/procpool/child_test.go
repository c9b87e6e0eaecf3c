//go:build unix

package procpool

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestChild checks StartChild's contract: Kill reaches the child's own
// children, Wait reaps without touching what is left of the group, and
// after Wait neither Kill nor Signal reaches anything.
func TestChild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		script   string
		kill     bool
		wantExit string // cmd.Wait's error, or "" for none
		leftOver bool   // the grandchild outlives Wait
	}{
		{"Kill", `sleep 30 & echo $!; wait`, true, "signal: killed", false},
		{"child exits", `sleep 30 & echo $!`, false, "", true},
		{"exit status", `sleep 30 & echo $!; kill $!; exit 3`, false, "exit status 3", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			cmd.Stdout = w
			c, err := StartChild(cmd)
			w.Close()
			if err != nil {
				t.Fatalf("StartChild: %v", err)
			}
			line, err := bufio.NewReader(r).ReadString('\n')
			if err != nil {
				c.Kill()
				c.Wait()
				t.Fatalf("no grandchild pid printed: %v", err)
			}
			pid := atoi(t, line)
			defer syscall.Kill(pid, syscall.SIGKILL)
			if pgid, err := syscall.Getpgid(c.Pid()); err != nil || pgid != c.Pid() {
				t.Errorf("Getpgid(child) = %d, %v; want a group of its own, %d", pgid, err, c.Pid())
			}
			if tc.kill {
				c.Kill()
			}
			err = c.Wait()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantExit {
				t.Errorf("Wait() = %q, want %q", got, tc.wantExit)
			}
			if tc.leftOver {
				if s := procState(pid); s == "" || s == "Z" {
					t.Errorf("grandchild %d gone (state %q) after Wait; only Kill may reach it", pid, s)
				}
			} else {
				waitGone(t, pid)
			}
			// Reaped: the pid may be a stranger's now.
			if err := c.Signal(syscall.SIGKILL); err != nil {
				t.Errorf("Signal after Wait: %v", err)
			}
			c.Kill()
			if tc.leftOver {
				if s := procState(pid); s == "" || s == "Z" {
					t.Errorf("Kill after Wait reached grandchild %d (state %q)", pid, s)
				}
			}
		})
	}
}

// TestChildKillDuringWait races Kill, as a deadline fires it, against
// Wait: under -race the two must be ordered by the child's lock.
func TestChildKillDuringWait(t *testing.T) {
	t.Parallel()
	for range 20 {
		c, err := StartChild(exec.Command("/bin/true"))
		if err != nil {
			t.Fatalf("StartChild: %v", err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Kill()
		}()
		if err := c.Wait(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("Wait: %v", err)
			}
		}
		<-done
	}
}
