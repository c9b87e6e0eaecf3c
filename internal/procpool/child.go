package procpool

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Child is a process started by StartChild, leading a process group of
// its own. It is the mechanics under Process, and serves on its own a
// caller that runs short-lived children and owns their pipes, such as a
// CGI gateway. Its methods are safe for concurrent use.
type Child struct {
	cmd *exec.Cmd

	// mu orders signals against reaping: while reaped is false the pid
	// (and the process group named after it) still belongs to the
	// child, so a signal cannot hit a stranger that reused the number.
	mu     sync.Mutex
	reaped bool
}

// StartChild starts cmd in a process group of its own and, on Linux, with
// a parent-death signal of SIGKILL, so that the child never outlives a
// server that crashed. It replaces cmd.SysProcAttr. The caller must call
// Wait, which reaps the child; cmd.Wait must not be called directly.
func StartChild(cmd *exec.Cmd) (*Child, error) {
	cmd.SysProcAttr = sysProcAttr()
	if err := startDetached(cmd); err != nil {
		return nil, err
	}
	return &Child{cmd: cmd}, nil
}

// startDetached starts cmd from a goroutine of its own. Linux sends the
// parent-death signal when the thread that forked the child exits, not
// when the process does. The Go runtime retires an OS thread only when a
// goroutine that called runtime.LockOSThread exits without unlocking; a
// fresh goroutine has never locked its thread, so whichever thread forks
// lives as long as the server, whatever goroutine asked for the child.
func startDetached(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() { errc <- cmd.Start() }()
	return <-errc
}

// Pid returns the child's process id. It names the child's process group
// too.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Signal sends sig to the child alone, not to its group. Signalling a
// child that has been reaped does nothing and returns nil.
func (c *Child) Signal(sig syscall.Signal) error {
	err := c.whileUnreaped(func() error { return signalPid(c.cmd.Process, sig) })
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("procpool: signal %d: %w", c.Pid(), err)
	}
	return nil
}

// Kill sends SIGKILL to the child's whole process group, so that what the
// child started dies with it. It does not wait. Once the child has been
// reaped it does nothing: its pid may belong to a stranger by then.
func (c *Child) Kill() {
	_ = c.whileUnreaped(func() error { return signalGroup(c.cmd.Process, syscall.SIGKILL) })
}

// Wait waits for the child to exit, reaps it and returns what cmd.Wait
// returns; cmd.ProcessState is set after. What is left of the child's
// group lives on, killed only by Kill, and only before the reap.
func (c *Child) Wait() error { return c.wait(false) }

// whileUnreaped runs f with the child not yet reaped, so that its pid is
// still its own; once it has been reaped f does not run and the result
// is os.ErrProcessDone.
func (c *Child) whileUnreaped(f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reaped {
		return os.ErrProcessDone
	}
	return f()
}

// wait reaps the child as Wait does; with orphans it also kills whatever
// is left of the child's group, while -pid still names that group.
func (c *Child) wait(orphans bool) error {
	if waitExited(c.cmd.Process.Pid) {
		c.mu.Lock()
		defer c.mu.Unlock()
		// The leader is a zombie, so its pid cannot have been reused and
		// -pid still names its group.
		if orphans {
			_ = signalGroup(c.cmd.Process, syscall.SIGKILL)
		}
		c.reaped = true
		return c.cmd.Wait() // returns at once: there is a zombie to reap
	}
	// Without waitid(WNOWAIT), Wait must block outside the lock, or
	// Signal and Kill would wait for the child's death. The group kill
	// comes after the reap; POSIX keeps a pid from being reused while a
	// process group of that id lives, so -pid still names our group if
	// anything is left in it. A signal sent between the reap and reaped =
	// true could reach a process that reused the pid: the window
	// os.Process has on such systems too.
	err := c.cmd.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if orphans {
		_ = signalGroup(c.cmd.Process, syscall.SIGKILL)
	}
	c.reaped = true
	return err
}

// state returns the child's exit state; valid once Wait has returned.
func (c *Child) state() *os.ProcessState { return c.cmd.ProcessState }
