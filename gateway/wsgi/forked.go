package wsgi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/internal/procpool"
)

// process is what the pool needs of a worker's process: a child that
// procpool started, or a worker a zygote forked (forkedProc).
type process interface {
	Pid() int
	Done() <-chan struct{}
	Exit() string
	Kill()
	Signal(sig syscall.Signal) error
	Uptime() time.Duration
	RSS() (int64, error)
	WaitQuiet(quiet, limit time.Duration)
}

// forkedProc is a worker forked by a zygote: a grandchild of Brick, which
// cannot wait for it. It is watched through a pidfd (readable once the
// process has exited), signalled through it (no pid reuse can misdirect a
// signal), and told how it ended by the zygote that reaps it. Its output
// comes through a pipe of its own, so that its lines, and the stack dump
// of a timeout, are its own.
type forkedProc struct {
	pid    int
	start  time.Time
	done   chan struct{}
	ended  chan struct{} // closed when the zygote reported the exit
	lastIO atomic.Int64  // ns since start of the last output read

	mu       sync.Mutex
	pidfd    int // -1 once closed
	exit     string
	lifetime time.Duration
}

var _ process = (*forkedProc)(nil)

// exitReportWait bounds the wait, once a forked worker has exited, for
// the zygote to say how.
const exitReportWait = 300 * time.Millisecond

// adopt watches the process pid, just forked, whose output arrives on
// out (which adopt owns), delivering lines to output.
// A worker that no longer exists (ESRCH) ended at once and its zygote
// reaped it already (a brick_post_fork that raised): it is adopted as
// ended, so that what it said before (its traceback) is read and
// reported, not an error about pidfds.
func adopt(pid int, out *os.File, output func([]byte)) (*forkedProc, error) {
	fd, err := pidfdOpen(pid)
	if err != nil && !errors.Is(err, unix.ESRCH) {
		out.Close()
		return nil, fmt.Errorf("wsgi: pidfd_open of forked worker %d: %w (Linux 5.3 or later is needed for preload)", pid, err)
	}
	if err != nil {
		fd = -1
	}
	p := &forkedProc{pid: pid, start: time.Now(), done: make(chan struct{}), ended: make(chan struct{}), pidfd: fd}
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		p.pump(out, output)
	}()
	go p.watch(pumped)
	return p, nil
}

// pump delivers the worker's output line by line, as procpool does for
// its children: lines longer than 64 KiB in pieces.
func (p *forkedProc) pump(out *os.File, output func([]byte)) {
	defer out.Close()
	br := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			p.lastIO.Store(int64(time.Since(p.start)))
			output(trimNewline(line))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// watch waits for the process to exit, its output to be read and the
// zygote's report of how it ended (briefly), then closes done.
func (p *forkedProc) watch(pumped <-chan struct{}) {
	fds := []unix.PollFd{{Fd: int32(p.pidfd), Events: unix.POLLIN}}
	for p.pidfd >= 0 { // the only writer of pidfd, so read unlocked
		_, err := unix.Poll(fds, -1)
		if err == nil || err != unix.EINTR {
			break
		}
	}
	lifetime := time.Since(p.start)
	select {
	case <-pumped:
	case <-time.After(500 * time.Millisecond): // a grandchild holding the pipe
	}
	select {
	case <-p.ended:
	case <-time.After(exitReportWait):
	}
	p.mu.Lock()
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
	}
	p.pidfd = -1
	p.lifetime = lifetime
	if p.exit == "" {
		p.exit = "exited (its zygote did not say how)"
	}
	p.mu.Unlock()
	close(p.done)
}

// reported records how the process ended, as its zygote says.
func (p *forkedProc) reported(how string) {
	p.mu.Lock()
	first := p.exit == ""
	if first {
		p.exit = how
	}
	p.mu.Unlock()
	if first {
		close(p.ended)
	}
}

func (p *forkedProc) Pid() int              { return p.pid }
func (p *forkedProc) Done() <-chan struct{} { return p.done }

func (p *forkedProc) Exit() string {
	select {
	case <-p.done:
	default:
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit
}

// Signal sends sig through the pidfd; once the process is gone it does
// nothing.
func (p *forkedProc) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return nil
	}
	err := pidfdSignal(p.pidfd, sig)
	if err == unix.ESRCH {
		return nil
	}
	return err
}

// Kill sends SIGKILL to the worker and to what its application started:
// the worker leads a process group of its own (zygote.py), which a
// worker Brick starts itself does too (procpool), and is killed with it.
// The group is signalled only while the worker runs: its number, the
// worker's pid, cannot name another group then. Once it has exited, the
// zygote may reap it and the number be taken.
func (p *forkedProc) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return
	}
	fds := []unix.PollFd{{Fd: int32(p.pidfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 0); err == nil && n == 0 {
		syscall.Kill(-p.pid, syscall.SIGKILL)
	}
	pidfdSignal(p.pidfd, syscall.SIGKILL)
}

func (p *forkedProc) Uptime() time.Duration {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.lifetime
	default:
		return time.Since(p.start)
	}
}

// RSS reads the resident size from /proc/PID/statm while the process
// lives.
func (p *forkedProc) RSS() (int64, error) {
	select {
	case <-p.done:
		return 0, fmt.Errorf("wsgi: rss of %d: %w", p.pid, os.ErrProcessDone)
	default:
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, io.ErrUnexpectedEOF
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()), err
}

// WaitQuiet returns once the worker wrote nothing for quiet (counted
// from the later of the call and its last output), after limit, or when
// it ends.
func (p *forkedProc) WaitQuiet(quiet, limit time.Duration) {
	procpool.WaitQuiet(func() time.Time { return p.start.Add(time.Duration(p.lastIO.Load())) }, p.done, quiet, limit)
}
