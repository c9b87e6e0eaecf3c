package procpool

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Spec describes one child process.
type Spec struct {
	// Path is the executable. A name without a slash is looked up in
	// PATH, as exec.Command does.
	Path string
	// Args are the arguments after the program name (argv[1:]).
	Args []string
	// Dir is the working directory; empty means the server's own.
	Dir string
	// Env is the child's complete environment as "KEY=value" strings.
	// As in exec.Cmd, nil means the server's own environment; pass an
	// empty, non-nil slice for an empty one.
	Env []string
	// ExtraFiles become file descriptors 3, 4, ... in the child. Start
	// does not close them: the caller closes its copies once Start has
	// returned, or the peer of a socket never sees the child go away.
	ExtraFiles []*os.File
	// Output is called for each line the child writes on stdout or
	// stderr, without its newline. Lines of one stream arrive in order;
	// the two streams interleave as they are read. Calls never overlap,
	// and the first may come before Start returns. A last line without a
	// newline is delivered too, and a line longer than 64 KiB arrives in
	// pieces of at most 64 KiB. The slice is valid only during the call.
	// Output should return quickly: while it runs, the child blocks once
	// the pipe is full. Nil discards the output.
	Output func(line []byte)
}

// Process is a running (or finished) child started by Start. Its methods
// are safe for concurrent use.
type Process struct {
	child  *Child
	pid    int
	start  time.Time
	output func([]byte)
	outMu  sync.Mutex   // serialises calls to output
	lastIO atomic.Int64 // time of the last read from the child's output, as nanoseconds since start
	done   chan struct{}

	// Written by supervise before done is closed; read only after.
	state    *os.ProcessState
	waitErr  error
	lifetime time.Duration
}

// outputGrace bounds how long Done waits, after the child has been
// reaped, for its output pipes to reach end of file. Data already in a
// pipe is read in microseconds; only a process that escaped the group
// (setsid) and kept the pipe open makes this wait run out.
const outputGrace = 500 * time.Millisecond

// Start starts the child described by spec in its own process group, with
// stdout and stderr piped to spec.Output and, on Linux, a parent-death
// signal of SIGKILL. A goroutine waits for the child, so it is reaped when
// it exits whether or not anyone calls a method.
func Start(spec Spec) (*Process, error) {
	if spec.Path == "" {
		return nil, errors.New("procpool: Spec.Path is empty")
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.ExtraFiles = spec.ExtraFiles

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("procpool: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("procpool: %w", err)
	}
	// *os.File outputs go to the child as they are: exec adds no copying
	// goroutines of its own, and Wait never blocks on them.
	cmd.Stdout = outW
	cmd.Stderr = errW

	// The clock starts before the fork, so that Uptime never
	// understates how long the child lived.
	p := &Process{output: spec.Output, done: make(chan struct{}), start: time.Now()}
	p.child, err = StartChild(cmd)
	// The child has its own copies of the write ends; ours must go, or
	// the readers would never see end of file.
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("procpool: %w", err)
	}
	p.pid = cmd.Process.Pid

	pipes := []*os.File{outR, errR}
	var pumps sync.WaitGroup
	for _, f := range pipes {
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			p.pump(f)
		}()
	}
	go p.supervise(pipes, &pumps)
	return p, nil
}

// supervise reaps the child, cleans up its process group, and closes done
// once the output has been delivered.
func (p *Process) supervise(pipes []*os.File, pumps *sync.WaitGroup) {
	p.waitErr = p.child.wait(true)
	p.state = p.child.state()
	p.lifetime = time.Since(p.start)

	deadline := time.Now().Add(outputGrace)
	for _, f := range pipes {
		// Fails only where pipes cannot take deadlines (Windows); there
		// the readers wait for end of file.
		_ = f.SetReadDeadline(deadline)
	}
	pumps.Wait()
	for _, f := range pipes {
		f.Close()
	}
	close(p.done)
}

// Pid returns the child's process id. It names the child's process group
// too.
func (p *Process) Pid() int { return p.pid }

// Done returns a channel that is closed once the child has been reaped
// and all of its output has been delivered to Spec.Output.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit describes how the child ended, for a log line: "exit status 3",
// "killed by signal 9 (SIGKILL)", "killed by signal 11 (SIGSEGV:
// segmentation fault)". It returns "" until Done is closed.
func (p *Process) Exit() string {
	if !p.finished() {
		return ""
	}
	return describeExit(p.state, p.waitErr)
}

// State returns the child's exit state (exit code, resource usage), or
// nil until Done is closed.
func (p *Process) State() *os.ProcessState {
	if !p.finished() {
		return nil
	}
	return p.state
}

// Uptime returns how long the child has been running, or, once Done is
// closed, how long it ran. Backoff.Next takes it.
func (p *Process) Uptime() time.Duration {
	if p.finished() {
		return p.lifetime
	}
	return time.Since(p.start)
}

func (p *Process) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the child alone, not to its group: a SIGUSR1 meant
// for a Python worker's faulthandler would kill a subprocess that does
// not handle it. Signalling a child that has already been reaped does
// nothing and returns nil.
func (p *Process) Signal(sig syscall.Signal) error { return p.child.Signal(sig) }

// Kill sends SIGKILL to the child's whole process group. It does not
// wait; Done is closed once the child has been reaped.
func (p *Process) Kill() { p.child.Kill() }

// Stop asks the child to leave with SIGTERM, waits up to grace for it to
// finish, then kills its group and waits for Done.
func (p *Process) Stop(grace time.Duration) {
	_ = p.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	p.Kill()
	<-p.done
}

// RSS returns the child's resident set size in bytes. It is available on
// Linux only (from /proc/PID/statm). A child that has exited but is not
// yet reaped reports 0; once it has been reaped, RSS fails with an error
// wrapping os.ErrProcessDone.
func (p *Process) RSS() (int64, error) {
	var rss int64
	err := p.child.whileUnreaped(func() (err error) {
		rss, err = readRSS(p.pid)
		return err
	})
	if errors.Is(err, os.ErrProcessDone) {
		return 0, fmt.Errorf("procpool: rss of %d: %w", p.pid, err)
	}
	return rss, err
}

// WaitQuiet returns once the child has written nothing for quiet since
// its last output; or, while it has written nothing since the call, once
// firstWait times quiet has passed; or once limit has passed; or at Done.
// A caller who has just signalled a long-silent child (a stack dump)
// thus waits for the answer to start, and on a loaded machine a child may
// take a while to be scheduled at all.
func (p *Process) WaitQuiet(quiet, limit time.Duration) {
	WaitQuiet(func() time.Time { return p.start.Add(time.Duration(p.lastIO.Load())) }, p.done, quiet, limit)
}

// firstWait is how many quiet periods WaitQuiet gives a child that has
// written nothing since the call.
const firstWait = 5

// WaitQuiet is Process.WaitQuiet for a child that procpool did not start
// (a worker forked by a zygote): lastOutput reports when the child last
// wrote, done closes when it ends.
func WaitQuiet(lastOutput func() time.Time, done <-chan struct{}, quiet, limit time.Duration) {
	called := time.Now()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		last := lastOutput()
		var wait time.Duration
		if last.Before(called) {
			wait = time.Until(called.Add(firstWait * quiet))
		} else {
			wait = time.Until(last.Add(quiet))
		}
		if wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-done:
			t.Stop()
			return
		case <-deadline.C:
			t.Stop()
			return
		case <-t.C:
		}
	}
}
