//go:build linux

package server

import (
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/web"
)

// A watched connection (web.WatchedConn) is hijacked, but its descriptor
// stays in its loop's epoll set and in the table, in state stWatched: an
// edge of readiness calls the owner's callback on a new goroutine, so a
// WebSocket idle between messages holds no goroutine and no buffer, only
// this record and the descriptor. The owner reads and writes through an
// os.File over the same descriptor, which registers it in Go's netpoller
// as well (a descriptor may be in two epoll sets), so it gets deadlines
// and blocking reads as with any net.Conn while a message is in flight,
// and a watched connection costs one descriptor, not a duplicate more
// (HTTP/2 connections are watched too: a server near its descriptor limit
// would run out at half its connections). Close leaves the loop's set and
// the table before the descriptor closes, so no event can reach another
// connection that reused its number. Server.Close
// shuts watched connections down as it does busy ones; when the engine
// stops (Shutdown's end), their owners are called back and read on their
// own from then on.

type watchedConn struct {
	f         *os.File // the descriptor, in Go's netpoller
	pc        *pollConn
	closeOnce sync.Once

	// Writes are raw system calls made under f's write lock (rc.Write),
	// as the engine's own writes are, waiting in the netpoller only when
	// the socket is full: os.File's Write would enter and leave the
	// scheduler's syscall state around every one. rc and writeFn are made
	// once (SyscallConn and a closure passed to it allocate); wmu guards
	// the write in progress (wa, wb, wn, werr) that writeFn works on.
	rc      syscall.RawConn
	writeFn func(fd uintptr) bool
	wmu     sync.Mutex
	wa, wb  []byte
	wn      int
	werr    error
}

// watch detaches pc for its owner while keeping it in the loop.
func (pc *pollConn) watch() (web.WatchedConn, error) {
	// The descriptor is non-blocking, so os.NewFile puts it in Go's
	// netpoller.
	f := os.NewFile(uintptr(pc.fd), "watched")
	if f == nil {
		return nil, os.ErrInvalid
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.state = stWatched
	pc.mu.Unlock()
	w := &watchedConn{f: f, pc: pc, rc: rc}
	w.writeFn = w.writeRaw
	return w, nil
}

func (pc *pollConn) canWatch() bool { return true }

// Read and Write report the netpoller's errors as a net.Conn would: not
// wrapped in an *fs.PathError, whose Timeout a deadline's error keeps
// but not Temporary, by which crypto/tls tells a deadline from a broken
// connection.
func (w *watchedConn) Read(p []byte) (int, error) {
	n, err := w.f.Read(p)
	return n, unwrapPathError(err)
}

func (w *watchedConn) Write(p []byte) (int, error) {
	return w.writev(p, nil)
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		if pe.Err == os.ErrClosed {
			return net.ErrClosed
		}
		return pe.Err
	}
	return err
}

func (w *watchedConn) LocalAddr() net.Addr {
	return net.TCPAddrFromAddrPort(w.pc.conn.local.AddrPort())
}

func (w *watchedConn) RemoteAddr() net.Addr {
	return net.TCPAddrFromAddrPort(w.pc.conn.remote.AddrPort())
}

func (w *watchedConn) SetDeadline(t time.Time) error      { return w.f.SetDeadline(t) }
func (w *watchedConn) SetReadDeadline(t time.Time) error  { return w.f.SetReadDeadline(t) }
func (w *watchedConn) SetWriteDeadline(t time.Time) error { return w.f.SetWriteDeadline(t) }

// CloseWrite shuts the sending side down (FIN). It goes through the
// os.File, which refuses once Close has run: the number may already be
// another connection's (a tunnel's other direction may have closed it).
func (w *watchedConn) CloseWrite() error {
	rc, err := w.f.SyscallConn()
	if err != nil {
		return unwrapPathError(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Shutdown(int(fd), unix.SHUT_WR) }); err != nil {
		return net.ErrClosed // Control fails only once Close has run
	}
	return serr
}

// Writev writes all of a and then all of b, in one system call when the
// socket takes them (as net.Buffers does over a TCP connection), waiting
// for the socket in Go's netpoller up to the write deadline.
func (w *watchedConn) Writev(a, b []byte) error {
	_, err := w.writev(a, b)
	return err
}

// writev writes a then b and reports how many bytes went.
func (w *watchedConn) writev(a, b []byte) (int, error) {
	if len(a) == 0 {
		a, b = b, nil
	}
	if len(a) == 0 {
		return 0, nil
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.wa, w.wb, w.wn, w.werr = a, b, 0, nil
	err := w.rc.Write(w.writeFn)
	n, werr := w.wn, w.werr
	w.wa, w.wb, w.werr = nil, nil, nil
	if err != nil {
		return n, unwrapPathError(err)
	}
	return n, werr
}

// writeRaw is rc.Write's function: it writes what is left of wa and wb,
// and reports false (wait in the netpoller, then call again) when the
// socket is full.
func (w *watchedConn) writeRaw(fd uintptr) bool {
	for len(w.wa)+len(w.wb) > 0 {
		if len(w.wa) == 0 {
			w.wa, w.wb = w.wb, nil
		}
		n, e := rawWritev(int(fd), w.wa, w.wb)
		if n > 0 {
			w.wn += n
			k := min(n, len(w.wa))
			w.wa, w.wb = w.wa[k:], w.wb[n-k:]
		}
		switch e {
		case 0, unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			w.werr = e
			return true
		}
	}
	return true
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

// Close closes the descriptor, leaving the loop's set and the table first.
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
	})
	return unwrapPathError(w.f.Close())
}

// readableNow reports whether fd has bytes (or an end, or an error) to
// read, without consuming any or blocking.
func readableNow(fd int) bool {
	var b [1]byte
	_, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), 1,
		unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	return e != unix.EAGAIN
}
