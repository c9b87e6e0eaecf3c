package wsgi

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brick-server/brick/gateway/internal/coalesce"
)

// sock is the Go end of a worker's socket, non-blocking and registered
// with Go's network poller, and read with a direct wait first.
//
// How the Go side waits for its worker decides most of its cost per
// request. A read(2) that blocks (entering the scheduler's syscall state)
// lets the runtime's monitor take the processor away after 20 µs for the
// rest of the server, another thread start or wake to run it, and the
// reader fetch it back when the worker answers: several thread switches
// per request, the bulk of the Go side's CPU on a shared CPU. Parking in
// the poller costs a pass through the scheduler and an epoll_wait. The
// cheapest wait is the one a loop driving the worker by itself does: the
// thread sleeps in the kernel until the answer arrives and runs on at
// once. So Read first waits in ppoll(2) without telling the scheduler
// (raw system calls), for at most directWait, and only then parks in the
// poller. During that wait the thread keeps its processor: with
// GOMAXPROCS=1 nothing else in the server runs, which directWait bounds;
// a worker slower than that is waited for in the poller from then on
// (until it answers quickly again), and at most directWaiters() reads
// wait so at a time, so that with more processors one is always left
// for the rest of the server.
//
// Deadlines are the poller's (runtime timers, no system call); an idle
// timeout is a read deadline set again before each read. An
// *os.File owns the descriptor, so Close is safe while another goroutine
// reads: shutdown(2) ends a direct wait, closing wakes a parked one, and
// the descriptor is released after the read returns.
type sock struct {
	f *os.File
	// rc is f's raw access, for sendmsg with descriptors.
	rc syscall.RawConn

	mu   sync.Mutex
	idle time.Duration // with no deadline: the bound on each read

	// The state of the read in progress, for readFn (made once, so that
	// a read allocates nothing). One goroutine reads at a time.
	readFn func(fd uintptr) bool
	rbuf   []byte
	rn     int
	rerr   syscall.Errno
	waited bool
	// slow: the worker's last answer took longer than directWait, so
	// reads park in the poller at once (holding the processor for
	// nothing is what a direct wait must not do to the rest of the
	// server) until an answer comes within directWait again.
	slow bool
	// busy: the pool has more requests for the worker than it runs (see
	// Pool.saturated), so a read parks in the poller at once and lets
	// the rest of the server queue them meanwhile.
	busy  bool
	begun time.Time // when a slow read began

	// The state of the write in progress, for writeFn (made once). One
	// goroutine writes at a time (out's).
	writeFn func(fd uintptr) bool
	wbuf    []byte
	wn      int
	werr    syscall.Errno

	// out coalesces the frames for the worker: the requests queued on it
	// in a burst and cancels go out in one write (package coalesce), so
	// that the worker is woken once for them. Each batch is written
	// within writeTimeout (0: no bound), set before the first write.
	out          *coalesce.Writer
	writeTimeout time.Duration
}

// newSock takes ownership of fd, a socket, and makes it non-blocking.
func newSock(fd int) *sock {
	// Only this end becomes non-blocking: the peer's end is a socket of
	// its own, in the worker, which blocks.
	syscall.SetNonblock(fd, true)
	s := &sock{f: os.NewFile(uintptr(fd), "wsgi-worker")}
	s.rc, _ = s.f.SyscallConn()
	s.readFn = s.readOnce
	s.writeFn = s.writeOnce
	s.out = coalesce.New(s.writeAll)
	return s
}

// SetDeadline bounds the reads and writes that follow; the zero time
// removes the bound.
func (s *sock) SetDeadline(t time.Time) error {
	s.mu.Lock()
	s.idle = 0
	s.mu.Unlock()
	if !t.IsZero() && !t.After(time.Now()) {
		return os.ErrDeadlineExceeded
	}
	return s.f.SetDeadline(t)
}

// SetReadDeadline bounds the reads that follow, and only them: requests
// queued behind the one being answered are written meanwhile, each under
// its own write deadline.
func (s *sock) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.idle = 0
	s.mu.Unlock()
	return s.f.SetReadDeadline(t)
}

// SetWriteDeadline bounds the writes that follow.
func (s *sock) SetWriteDeadline(t time.Time) error {
	return s.f.SetWriteDeadline(t)
}

// SetIdleTimeout replaces the read deadline with a bound on each read,
// so a stream can go on for as long as its chunks keep coming.
func (s *sock) SetIdleTimeout(d time.Duration) error {
	s.mu.Lock()
	s.idle = d
	s.mu.Unlock()
	if d == 0 {
		return s.f.SetReadDeadline(time.Time{})
	}
	return nil
}

// arm pushes the idle timeout's deadline forward before a read.
func (s *sock) arm() error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	if idle == 0 {
		return nil
	}
	return s.f.SetReadDeadline(time.Now().Add(idle))
}

// Read reads what the worker sent, waiting at most until the deadline
// (up to directWait past it while waiting directly).
func (s *sock) Read(p []byte) (int, error) {
	if err := s.arm(); err != nil {
		return 0, err
	}
	if s.rc == nil || len(p) == 0 {
		return s.f.Read(p)
	}
	s.rbuf, s.rn, s.rerr, s.waited = p, 0, 0, s.slow || s.busy
	if s.slow {
		s.begun = time.Now()
	}
	err := s.rc.Read(s.readFn)
	n, errno := s.rn, s.rerr
	s.rbuf = nil
	if s.slow && err == nil && time.Since(s.begun) < directWait {
		s.slow = false
	}
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readOnce is the poller's callback: a read, and when nothing is there
// yet the first time, a direct wait and a second read. It returns false
// to park in the poller until the socket is readable.
func (s *sock) readOnce(fd uintptr) bool {
	s.rn, s.rerr = rawRead(int(fd), s.rbuf)
	if s.rerr == syscall.EAGAIN && !s.waited {
		s.waited = true
		switch waitDirect(int(fd)) {
		case waitReady:
			s.rn, s.rerr = rawRead(int(fd), s.rbuf)
		case waitExpired:
			s.slow = true
		}
	}
	return s.rerr != syscall.EAGAIN
}

// Write writes all of p, waiting at most until the write deadline. The
// write is a raw system call, as reads are: a write that wakes the worker
// may let it run before the write returns, and a thread in a system call
// the scheduler knows of would then lose its processor to the runtime's
// monitor, as a blocking read would.
func (s *sock) Write(p []byte) (int, error) {
	if s.rc == nil {
		return s.f.Write(p)
	}
	s.wbuf, s.wn, s.werr = p, 0, 0
	err := s.rc.Write(s.writeFn)
	n, errno := s.wn, s.werr
	s.wbuf = nil
	switch {
	case err != nil:
		return n, err
	case errno != 0:
		return n, errno
	}
	return n, nil
}

// writeOnce is the poller's callback for Write: it writes what it can,
// and returns false to wait until the socket is writable again.
func (s *sock) writeOnce(fd uintptr) bool {
	for s.wn < len(s.wbuf) {
		n, errno := rawWrite(int(fd), s.wbuf[s.wn:])
		switch errno {
		case 0:
			s.wn += n
		case syscall.EAGAIN:
			return false
		default:
			s.werr = errno
			return true
		}
	}
	return true
}

// writeAll is out's write: all of p, within writeTimeout.
func (s *sock) writeAll(p []byte) error {
	if s.writeTimeout > 0 {
		if err := s.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
			return err
		}
	}
	_, err := s.Write(p)
	return err
}

// writeDirect writes p as it is (a frame too large to copy into a batch),
// with the descriptor fd attached to its first byte (SCM_RIGHTS) when fd
// is not negative, after the frames queued before it.
func (s *sock) writeDirect(p []byte, fd int) error {
	return s.out.Exclusive(func(write func([]byte) error) error {
		if fd < 0 {
			return write(p)
		}
		return s.writeWithFD(p, fd)
	})
}

// WriteWithFD writes p with the descriptors fds attached to its first
// byte (SCM_RIGHTS), after the frames queued before it.
func (s *sock) WriteWithFD(p []byte, fds ...int) error {
	return s.out.Exclusive(func(func([]byte) error) error { return s.writeWithFD(p, fds...) })
}

// writeWithFD is WriteWithFD within out's write lock.
func (s *sock) writeWithFD(p []byte, fds ...int) error {
	if s.rc == nil {
		return fmt.Errorf("wsgi: worker socket: %w", os.ErrInvalid)
	}
	if s.writeTimeout > 0 {
		if err := s.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
			return err
		}
	}
	var n int
	var serr error
	err := s.rc.Write(func(sfd uintptr) bool {
		for {
			n, serr = syscall.SendmsgN(int(sfd), p, syscall.UnixRights(fds...), nil, 0)
			switch serr {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait until writable (or the deadline)
			}
			return true
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if n < len(p) {
		_, err = s.Write(p[n:])
	}
	return err
}

// Close ends the connection: shutdown(2) first, so that the worker sees
// the end at once even while a goroutine still holds the descriptor,
// then the descriptor, which wakes any goroutine waiting on it.
func (s *sock) Close() error {
	if s.rc != nil {
		s.rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	}
	return s.f.Close()
}

// shutdownRead ends what can be read once what is queued has been: a read
// then returns io.EOF, whoever still holds the other end.
func (s *sock) shutdownRead() {
	if s.rc != nil {
		s.rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RD) })
	}
}

// directWait bounds a direct wait: how long a read may hold its thread
// and processor (and delay a stop-the-world pause of the collector)
// before it parks in the poller. A Flask request takes a few hundred
// microseconds of Python; a worker busier than this is waited for in
// the poller, at the cost of a scheduler pass on top of its own time.
const directWait = 2 * time.Millisecond

// directSlots counts the reads in a direct wait, across pools.
var directSlots atomic.Int32

// directWaiters is how many reads may wait directly at once: all
// processors but one, and one when there is only one.
func directWaiters() int32 {
	return int32(max(1, runtime.GOMAXPROCS(0)-1))
}
