//go:build linux

package server

import (
	"net"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/web"
)

// A watched connection (web.WatchedConn) is hijacked, but its descriptor
// stays in its loop's epoll set and in the table, in state stWatched: an
// edge of readiness calls the owner's callback on a new goroutine, so a
// WebSocket idle between messages holds no goroutine and no buffer, only
// this record and the descriptor. The owner reads and writes through a
// duplicate of the descriptor in Go's netpoller (net.FileConn), so it gets
// deadlines and blocking reads as with any net.Conn while a message is in
// flight; the original keeps its number (and its table slot) until Close,
// so no event can reach another connection that reused it.

type watchedConn struct {
	net.Conn
	pc        *pollConn
	closeOnce sync.Once
}

// watch detaches pc for its owner while keeping it in the loop.
func (pc *pollConn) watch() (web.WatchedConn, error) {
	dup, err := unix.Dup(int(pc.fd))
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "watched")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.state = stWatched
	pc.mu.Unlock()
	return &watchedConn{Conn: nc, pc: pc}, nil
}

// Watch arms fn. Bytes that arrived before it was armed raised their edge
// already, so it looks (a peek that never blocks) and fires at once when
// there are some; whichever of this look and the loop takes fn calls it.
func (w *watchedConn) Watch(fn func()) error {
	pc := w.pc
	pc.mu.Lock()
	if pc.state != stWatched {
		stopped := pc.state == stClosed
		pc.mu.Unlock()
		if stopped {
			return net.ErrClosed
		}
		go fn()
		return nil
	}
	pc.onReadable = fn
	pc.mu.Unlock()
	if readableNow(int(pc.fd)) {
		pc.mu.Lock()
		fn, pc.onReadable = pc.onReadable, nil
		pc.mu.Unlock()
		if fn != nil {
			go fn()
		}
	}
	return nil
}

// unwatch ends the watch when the engine stops: an armed callback runs,
// and later Watch calls run theirs at once.
func (pc *pollConn) unwatch() {
	pc.mu.Lock()
	if pc.state != stWatched {
		pc.mu.Unlock()
		return
	}
	pc.state = stBusy
	fn := pc.onReadable
	pc.onReadable = nil
	pc.mu.Unlock()
	if fn != nil {
		go fn()
	}
}

// Close closes the duplicate and the original, leaving the loop's set and
// the table first.
func (w *watchedConn) Close() error {
	w.closeOnce.Do(func() {
		pc := w.pc
		pc.mu.Lock()
		pc.state, pc.onReadable = stClosed, nil
		pc.mu.Unlock()
		unix.EpollCtl(pc.p.epfd, unix.EPOLL_CTL_DEL, int(pc.fd), nil)
		pc.p.e.table.clear(int(pc.fd), pc)
		unix.Close(int(pc.fd))
	})
	return w.Conn.Close()
}

// readableNow reports whether fd has bytes (or an end, or an error) to
// read, without consuming any or blocking.
func readableNow(fd int) bool {
	var b [1]byte
	_, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), 1,
		unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	return e != unix.EAGAIN
}
