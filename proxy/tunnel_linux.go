//go:build linux

package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/web"
)

// A watched tunnel holds no goroutine while it is idle: the client's side
// stays in the server's readiness loop (web.HijackWatched) and the
// upstream's side in the proxy's own epoll set (upWatch, one goroutine for
// every tunnel of the process), each arming a callback that relays what
// arrived and arms again. An idle WebSocket through the proxy then costs
// its descriptors, the two records and nothing else; a goroutine and a
// buffer exist only while bytes move.

// upWatch is the epoll set watching tunnels' upstream sides.
type upWatch struct {
	epfd int
	rc   syscall.RawConn
	mu   sync.Mutex
	fns  map[uint64]func()
	next uint64
	n    int
	evs  [64]unix.EpollEvent
}

var (
	upWatchOnce sync.Once
	upWatcher   *upWatch
	upWatchErr  error
)

// theUpWatch starts the upstream watcher on first use.
func theUpWatch() (*upWatch, error) {
	upWatchOnce.Do(func() {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			upWatchErr = err
			return
		}
		// os.NewFile registers a non-blocking descriptor with Go's
		// netpoller: the watcher goroutine parks until the set has events.
		if err := unix.SetNonblock(epfd, true); err != nil {
			unix.Close(epfd)
			upWatchErr = err
			return
		}
		f := os.NewFile(uintptr(epfd), "proxy-epoll")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			upWatchErr = err
			return
		}
		upWatcher = &upWatch{epfd: epfd, rc: rc, fns: make(map[uint64]func())}
		go upWatcher.run()
	})
	return upWatcher, upWatchErr
}

func (u *upWatch) run() {
	poll := func(fd uintptr) bool {
		for {
			n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&u.evs[0])),
				uintptr(len(u.evs)), 0, 0, 0)
			if e == unix.EINTR {
				continue
			}
			u.n = int(n)
			return e != 0 || n > 0
		}
	}
	for {
		if err := u.rc.Read(poll); err != nil {
			return
		}
		for i := range u.n {
			ev := &u.evs[i]
			key := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			u.mu.Lock()
			fn := u.fns[key]
			delete(u.fns, key)
			u.mu.Unlock()
			if fn != nil {
				go fn()
			}
		}
	}
}

// arm calls fn once, on a goroutine of its own, when fd is readable (or
// ended or failed). The key tells the events of one registration from
// those of a later one of the same number. A descriptor readable already
// fires at once: epoll looks when it is added or modified.
func (u *upWatch) arm(fd int, key uint64, add bool, fn func()) error {
	u.mu.Lock()
	u.fns[key] = fn
	u.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT,
		Fd: int32(uint32(key)), Pad: int32(uint32(key >> 32))}
	op := unix.EPOLL_CTL_MOD
	if add {
		op = unix.EPOLL_CTL_ADD
	}
	if err := unix.EpollCtl(u.epfd, op, fd, &ev); err != nil {
		u.forget(fd, key)
		return err
	}
	return nil
}

// forget takes fd out of the set, before it is closed.
func (u *upWatch) forget(fd int, key uint64) {
	u.mu.Lock()
	delete(u.fns, key)
	u.mu.Unlock()
	unix.EpollCtl(u.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

func (u *upWatch) newKey() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.next++
	return u.next
}

// watchedTunnel is one switched connection relayed from callbacks.
type watchedTunnel struct {
	client   web.WatchedConn
	up       net.Conn
	toClient io.Writer // writes to client and up go through the tunnel's
	toUp     io.Writer // websocket.Relay
	fd       int
	key      uint64
	w        *upWatch
	ended    atomic.Int32 // directions that reached their end
	once     sync.Once
	mu       sync.Mutex // closed, and re-arming the upstream's side
	closed   bool
	done     func()
}

// errNoWatch: the tunnel cannot be watched; it is relayed by goroutines.
var errNoWatch = errors.New("proxy: upstream cannot be watched")

// newWatched prepares to relay between client and the upstream
// connection c (plain TCP) from readiness callbacks; the caller sets
// done, toClient and toUp, then calls start. On errNoWatch nothing was
// taken and the caller relays with goroutines.
func newWatched(client web.WatchedConn, c *conn) (*watchedTunnel, error) {
	if _, plain := c.nc.(*rawConn); !plain && c.nc != c.raw {
		// TLS: the raw socket's readiness says nothing of records
		// already decrypted and buffered.
		return nil, errNoWatch
	}
	sc, ok := c.raw.(syscall.Conn)
	if !ok {
		return nil, errNoWatch
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, errNoWatch
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	w, err := theUpWatch()
	if err != nil || fd < 0 {
		return nil, errNoWatch
	}
	return &watchedTunnel{client: client, up: c.nc, fd: fd, key: w.newKey(), w: w}, nil
}

// greet writes the 101 head to the client and what the client sent after
// its request to the upstream.
func (t *watchedTunnel) greet(head, rest []byte) error {
	if _, err := t.toClient.Write(head); err != nil {
		return err
	}
	if len(rest) > 0 {
		// The client spoke the new protocol right after its request.
		if _, err := t.toUp.Write(rest); err != nil {
			return err
		}
	}
	return nil
}

// start arms both sides' callbacks; a failure closes the tunnel.
func (t *watchedTunnel) start() {
	t.mu.Lock()
	err := net.ErrClosed
	if !t.closed {
		err = t.w.arm(t.fd, t.key, true, t.fromUpstream)
	}
	t.mu.Unlock()
	if err != nil || t.client.Watch(t.fromClient) != nil {
		t.close()
	}
}

// tunnelBufs are the relay buffers, held only while bytes move.
var tunnelBufs = sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}

// relayOnce reads what src has and writes it to dst. more says whether
// src may carry more bytes; false at its end or on a failure (failed).
func relayOnce(dst io.Writer, src net.Conn) (more, failed bool) {
	bp := tunnelBufs.Get().(*[]byte)
	defer tunnelBufs.Put(bp)
	n, err := src.Read(*bp)
	if n > 0 {
		if _, werr := dst.Write((*bp)[:n]); werr != nil {
			return false, true
		}
	}
	if err != nil {
		return false, err != io.EOF
	}
	return true, false
}

func (t *watchedTunnel) fromClient() {
	more, failed := relayOnce(t.toUp, t.client)
	switch {
	case failed:
		t.close()
	case !more:
		t.halfClose(t.up)
	default:
		if t.client.Watch(t.fromClient) != nil {
			t.close()
		}
	}
}

func (t *watchedTunnel) fromUpstream() {
	more, failed := relayOnce(t.toClient, t.up)
	switch {
	case failed:
		t.close()
	case !more:
		t.halfClose(t.client)
	default:
		t.mu.Lock()
		// Once closed, the number may already be another connection's.
		err := net.ErrClosed
		if !t.closed {
			err = t.w.arm(t.fd, t.key, false, t.fromUpstream)
		}
		t.mu.Unlock()
		if err != nil {
			t.close()
		}
	}
}

// halfClose passes one direction's end on to dst; the second end closes
// the tunnel, as does an end that cannot be passed on alone (dst has no
// CloseWrite: the other direction's callback would never come).
func (t *watchedTunnel) halfClose(dst net.Conn) {
	if !closeWrite(dst) || t.ended.Add(1) == 2 {
		t.close()
	}
}

// close ends both directions at once: an armed callback is dropped, one
// in flight fails its next read or write.
func (t *watchedTunnel) close() {
	t.once.Do(func() {
		t.mu.Lock()
		t.closed = true
		t.w.forget(t.fd, t.key)
		t.mu.Unlock()
		t.up.Close()
		t.client.Close()
		t.done()
	})
}
