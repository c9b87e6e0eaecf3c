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
// so no event can reach another connection that reused it. Server.Close
// shuts watched connections down as it does busy ones; when the engine
// stops (Shutdown's end), their owners are called back and read on their
// own from then on.

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

func (pc *pollConn) canWatch() bool { return true }

// NetConn returns the duplicate in Go's netpoller, for what net.Conn does
// not have (writev through net.Buffers).
func (w *watchedConn) NetConn() net.Conn { return w.Conn }

// CloseWrite shuts the sending side down (FIN).
func (w *watchedConn) CloseWrite() error {
	if cw, ok := w.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Watch arms fn. Bytes that arrived before it was armed raised their edge
// already, so it looks (a peek that never blocks) and fires at once when
// there are some; whichever of this look and the loop takes fn calls it.
func (w *watchedConn) Watch(fn func()) error {
	pc, p := w.pc, w.pc.p
	p.watchMu.Lock()
	pc.mu.Lock()
	st := pc.state
	pc.mu.Unlock()
	if st == stWatched {
		if p.watchers == nil {
			p.watchers = make(map[*pollConn]func())
		}
		p.watchers[pc] = fn
	}
	p.watchMu.Unlock()
	switch {
	case st == stClosed:
		return net.ErrClosed
	case st != stWatched:
		// The engine stopped: no loop watches any more.
		go fn()
	case readableNow(int(pc.fd)):
		if fn := p.takeWatcher(pc); fn != nil {
			go fn()
		}
	}
	return nil
}

// takeWatcher disarms and returns pc's callback, nil when none is armed.
func (p *poller) takeWatcher(pc *pollConn) func() {
	p.watchMu.Lock()
	fn := p.watchers[pc]
	if fn != nil {
		delete(p.watchers, pc)
	}
	p.watchMu.Unlock()
	return fn
}

// unwatch ends the watch when the engine stops: an armed callback runs,
// and later Watch calls run theirs at once.
func (pc *pollConn) unwatch() {
	pc.p.watchMu.Lock()
	pc.mu.Lock()
	watched := pc.state == stWatched
	if watched {
		pc.state = stBusy
	}
	pc.mu.Unlock()
	fn := pc.p.watchers[pc]
	delete(pc.p.watchers, pc)
	pc.p.watchMu.Unlock()
	if watched && fn != nil {
		go fn()
	}
}

// Close closes the duplicate and the original, leaving the loop's set and
// the table first.
func (w *watchedConn) Close() error {
	w.closeOnce.Do(func() {
		pc := w.pc
		pc.p.watchMu.Lock()
		pc.mu.Lock()
		pc.state = stClosed
		pc.mu.Unlock()
		delete(pc.p.watchers, pc)
		pc.p.watchMu.Unlock()
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
