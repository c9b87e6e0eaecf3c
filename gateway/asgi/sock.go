package asgi

import (
	"os"
	"sync"
	"syscall"
)

// sock is the Go end of a worker's socket, in blocking mode, read and
// written with plain system calls instead of through Go's network poller.
// The worker's reader is always waiting on it, so a thread blocked in
// read(2) costs nothing more, and the kernel wakes it directly when the
// event loop answers; through the poller every answer was a trip through
// the scheduler and the runtime's netpoll. Measured with one worker,
// Brick and the worker on one CPU: about a quarter less Go CPU per
// request. The WSGI gateway does the same (gateway/wsgi/sock.go). Writes
// are short frames into the kernel's socket buffer, which the event loop
// drains at once.
type sock struct {
	f    *os.File
	once sync.Once
}

// newSock takes ownership of fd, which must be in blocking mode.
func newSock(fd int) *sock { return &sock{f: os.NewFile(uintptr(fd), "asgi-worker")} }

func (s *sock) Read(p []byte) (int, error)  { return s.f.Read(p) }
func (s *sock) Write(p []byte) (int, error) { return s.f.Write(p) }

func (s *sock) shutdown(how int) {
	if rc, err := s.f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), how) })
	}
}

// CloseWrite tells the worker no more frames come: its event loop runs
// the lifespan shutdown and the process exits.
func (s *sock) CloseWrite() { s.shutdown(syscall.SHUT_WR) }

// Close ends the connection: shutdown(2) first, so that the reader
// blocked in read(2) returns, then the descriptor (released by os.File
// only once that read has returned).
func (s *sock) Close() error {
	s.once.Do(func() { s.shutdown(syscall.SHUT_RDWR) })
	return s.f.Close()
}
