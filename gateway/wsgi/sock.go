package wsgi

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// sock is the Go end of a worker's socket. It is kept in blocking mode
// and read with plain blocking system calls, not through Go's network
// poller. With the server and its Python workers sharing CPUs, waiting in
// the poller costs a trip through the scheduler (and wakes the runtime's
// monitor thread) for every request; a thread blocked in read(2) is simply
// woken by the kernel when the worker answers. Measured with one worker on
// one CPU, this cut the Go side's CPU per request by about a third.
//
// Deadlines cannot use the poller either: they are the kernel's receive
// and send timeouts (SO_RCVTIMEO, SO_SNDTIMEO), set to the time left.
// An *os.File wraps the descriptor so that Close is safe while another
// goroutine reads: the descriptor is released only after the read returns
// (shutdown(2) makes it return at once).
type sock struct {
	f *os.File

	mu       sync.Mutex
	deadline time.Time
	idle     time.Duration // without a deadline: the bound on each read and write
	timeout  time.Duration // the kernel timeouts now set; 0: none
}

// newSock takes ownership of fd, which must be in blocking mode.
func newSock(fd int) *sock {
	return &sock{f: os.NewFile(uintptr(fd), "wsgi-worker")}
}

// SetDeadline bounds the reads and writes that follow; the zero time
// removes the bound.
func (s *sock) SetDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline, s.idle = t, 0
	s.mu.Unlock()
	return s.arm()
}

// SetIdleTimeout replaces the deadline with a bound on each read and
// write: what the kernel's timeouts are by nature, so a stream pays for
// it once and not per chunk.
func (s *sock) SetIdleTimeout(d time.Duration) error {
	s.mu.Lock()
	s.deadline, s.idle = time.Time{}, d
	s.mu.Unlock()
	return s.arm()
}

// slack is how far the kernel's timeout may run past the time actually
// left before it is set again: a request's first read finds it already
// right, which saves a system call per request.
const slack = 10 * time.Millisecond

// arm sets the kernel timeouts to the time left before the deadline.
func (s *sock) arm() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.idle
	if !s.deadline.IsZero() {
		want = time.Until(s.deadline)
		if want <= 0 {
			return os.ErrDeadlineExceeded
		}
	}
	if want == s.timeout || want > 0 && s.timeout > 0 && want <= s.timeout && s.timeout-want < slack {
		return nil
	}
	tv := syscall.NsecToTimeval(want.Nanoseconds())
	if want > 0 && tv.Sec == 0 && tv.Usec == 0 {
		tv.Usec = 1 // a zero timeval would mean no timeout at all
	}
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
		if serr == nil {
			serr = syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("wsgi: socket timeout: %w", err)
	}
	s.timeout = want
	return nil
}

// timedOut turns the kernel's "try again" after a timeout into the error
// deadlines give elsewhere in Go.
func timedOut(err error) error {
	if errors.Is(err, syscall.EAGAIN) {
		return os.ErrDeadlineExceeded
	}
	return err
}

// Read reads what the worker sent, waiting at most until the deadline.
func (s *sock) Read(p []byte) (int, error) {
	if err := s.arm(); err != nil {
		return 0, err
	}
	n, err := s.f.Read(p)
	return n, timedOut(err)
}

// Write writes all of p, waiting at most until the deadline.
func (s *sock) Write(p []byte) (int, error) {
	if err := s.arm(); err != nil {
		return 0, err
	}
	n, err := s.f.Write(p)
	return n, timedOut(err)
}

// WriteWithFD writes p with the descriptors fds attached to its first
// byte (SCM_RIGHTS).
func (s *sock) WriteWithFD(p []byte, fds ...int) error {
	if err := s.arm(); err != nil {
		return err
	}
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	var n int
	var serr error
	err = rc.Write(func(sfd uintptr) bool {
		for {
			n, serr = syscall.SendmsgN(int(sfd), p, syscall.UnixRights(fds...), nil, 0)
			if serr != syscall.EINTR {
				return true
			}
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return timedOut(err)
	}
	if n < len(p) {
		_, err = s.Write(p[n:])
	}
	return err
}

// Close ends the connection: shutdown(2) first, so that a goroutine
// blocked reading returns, then the descriptor.
func (s *sock) Close() error {
	if rc, err := s.f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	}
	return s.f.Close()
}
