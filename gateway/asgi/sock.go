package asgi

import (
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/brick-server/brick/gateway/internal/coalesce"
)

// sock is the Go end of a worker's socket: non-blocking, in Go's network
// poller, with the frames of many streams coalesced into one write.
//
// A worker holds many requests at once, so its reader is not waiting for
// one answer but for the next of many; while it waits, the rest of the
// server must run. A read(2) that blocks keeps the processor (P) in the
// scheduler's syscall state until the runtime's monitor takes it back
// (20 µs or more), so with GOMAXPROCS=1 every wait for the worker stalled
// the server, woke sysmon and moved the processor between threads
// (measured: sysmon 13% of the Go side's CPU, three threads switching
// thousands of times a second). Parked in the poller, the reader holds no
// thread and no processor; the scheduler notices the worker's answer when
// it runs out of other work, which under load is after the handlers
// already runnable have run: one wake-up for a batch of answers.
//
// Writes are coalesced (package coalesce): the handlers that are
// runnable when the first of a batch queues its frame add theirs before
// it writes, and the lot goes out in one write(2) instead of one per
// request.
type sock struct {
	f    *os.File
	rc   syscall.RawConn
	once sync.Once

	// The read and the write in progress, for rawRead and rawWrite (bound
	// once, so that neither allocates): one reader, one writer (out's).
	readFn, writeFn func(fd uintptr) bool
	rbuf, wbuf      []byte
	rn              int
	rerr, werr      syscall.Errno

	out *coalesce.Writer // frames to the worker, in batches
}

// maxQueued is the largest frame queued (copied) rather than written as
// it is.
const maxQueued = coalesce.MaxQueued

// newSock takes ownership of fd, a socket, and makes it non-blocking.
func newSock(fd int) *sock {
	// Only this end: the worker's end is a socket of its own, which
	// Python's event loop sets as it likes.
	syscall.SetNonblock(fd, true)
	s := &sock{f: os.NewFile(uintptr(fd), "asgi-worker")}
	s.rc, _ = s.f.SyscallConn()
	s.readFn, s.writeFn = s.rawRead, s.rawWrite
	s.out = coalesce.New(s.write)
	return s
}

// Read reads what the worker sent, parked in the poller until there is
// some. Its system calls are raw: they never block, and a plain one
// (entersyscall) wakes the runtime's monitor whenever it sleeps, which
// with a processor that is often idle is most of the time.
func (s *sock) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf = p
	err := s.rc.Read(s.readFn)
	s.rbuf = nil
	switch {
	case err != nil:
		return 0, err
	case s.rerr != 0:
		return 0, s.rerr
	case s.rn == 0:
		return 0, io.EOF
	}
	return s.rn, nil
}

// rawRead is Read's poller callback; false parks until readable.
func (s *sock) rawRead(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.rbuf[0])), uintptr(len(s.rbuf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.rn, s.rerr = int(n), e
		return true
	}
}

// write writes all of p, parked in the poller while the socket is full;
// out calls it, one write at a time.
func (s *sock) write(p []byte) error {
	s.wbuf, s.werr = p, 0
	err := s.rc.Write(s.writeFn)
	s.wbuf = nil
	if err != nil {
		return err
	}
	if s.werr != 0 {
		return s.werr
	}
	return nil
}

// rawWrite is write's poller callback; false parks until writable.
func (s *sock) rawWrite(fd uintptr) bool {
	for len(s.wbuf) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&s.wbuf[0])), uintptr(len(s.wbuf)))
		switch e {
		case 0:
			s.wbuf = s.wbuf[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			s.werr = e
			return true
		}
	}
	return true
}

// queue writes b (one or more whole frames) after the other frames
// queued: the first frame of a batch is written by its caller, after
// letting the goroutines runnable at that moment queue theirs; the others
// return at once. An error is the worker's socket failing, which its
// reader also sees, failing every stream in flight.
func (s *sock) queue(b []byte) error { return s.out.Queue(b, nil) }

// queue2 is queue of a frame in two pieces: its header and its payload.
func (s *sock) queue2(head, payload []byte) error { return s.out.Queue(head, payload) }

func (s *sock) shutdown(how int) {
	if rc, err := s.f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), how) })
	}
}

// CloseWrite tells the worker no more frames come: its event loop runs
// the lifespan shutdown and the process exits.
func (s *sock) CloseWrite() { s.shutdown(syscall.SHUT_WR) }

// Close ends the connection: shutdown(2) first, so that the worker sees
// the end even if a write holds the descriptor, then the descriptor
// (closing it wakes the reader parked in the poller).
func (s *sock) Close() error {
	s.once.Do(func() { s.shutdown(syscall.SHUT_RDWR) })
	return s.f.Close()
}
