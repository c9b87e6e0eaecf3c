//go:build linux

package server

import (
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

type pcState uint8

const (
	stParked  pcState = iota // owned by its loop, waiting for readiness
	stBusy                   // owned by a worker (or the sweeper)
	stClosed                 // closed or hijacked
	stWatched                // handed over, and watched for its owner (watch_linux.go)
)

// pollConn is a connection driven by a loop. Its mutex guards the
// hand-over between the loop (notify) and the goroutine that owns it.
type pollConn struct {
	conn
	fd int32 // as in epoll_event; fd and gen share a word
	// gen tells this connection's readiness events from those of an
	// earlier connection with the same descriptor number: a loop may take
	// an event from epoll_wait just before a worker closes the descriptor,
	// and the kernel reuses the number at once. Events carry it beside the
	// descriptor (epoll_event's 64 data bits), and a loop acts only on an
	// event whose generation matches the connection in the table.
	gen uint32
	p   *poller

	mu         sync.Mutex
	state      pcState
	readReady  bool // readable since the owner last looked
	writeReady bool // writable since the owner last looked
	aborted    bool
	// hup is set once the peer shut down its side (or the socket failed).
	// With edge-triggered events that is reported once, often together
	// with the last data, so the connection must not park again: the EOF
	// is only seen by reading, and no further event would come.
	hup      bool
	partial  bool  // parked with part of a head in its buffer
	deadline int64 // parked: idle or header deadline, unix ns
	waiter   chan struct{}
}

const readEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR

// notify is called by the loop for each readiness event.
func (pc *pollConn) notify(ev uint32) {
	pc.mu.Lock()
	if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		pc.hup = true
	}
	switch pc.state {
	case stParked:
		if ev&readEvents == 0 {
			pc.mu.Unlock()
			return
		}
		pc.state = stBusy
		pc.mu.Unlock()
		pc.p.e.dispatch(pc)
	case stBusy:
		if ev&readEvents != 0 {
			pc.readReady = true
		}
		if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			pc.writeReady = true
		}
		w := pc.waiter
		pc.mu.Unlock()
		if w != nil {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	case stWatched:
		pc.mu.Unlock()
		if ev&readEvents != 0 {
			if fn := pc.p.takeWatcher(pc); fn != nil {
				go fn()
			}
		}
	default:
		pc.mu.Unlock()
	}
}

// idleBetweenRequests reports whether pc is parked with no request begun.
func (pc *pollConn) idleBetweenRequests() bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.state == stParked && !pc.partial
}

// claimParked takes a parked connection whose deadline is before now (any
// parked one when now < 0) away from its loop.
func (pc *pollConn) claimParked(now int64) (partial, ok bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.state != stParked || now >= 0 && pc.deadline > now {
		return false, false
	}
	pc.state = stBusy
	return pc.partial, true
}

// claimIdle takes a parked connection for closeParked.
func (pc *pollConn) claimIdle(now int64) bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.state != stParked || pc.partial || pc.conn.requests == 0 && now-pc.conn.headSince < int64(newConnGrace) {
		return false
	}
	pc.state = stBusy
	return true
}

func (pc *pollConn) read(p []byte, _ int64) (int, error) {
	pc.mu.Lock()
	pc.readReady = false
	aborted := pc.aborted
	pc.mu.Unlock()
	if aborted {
		return 0, io.EOF
	}
	for {
		n, err := rawRead(int(pc.fd), p)
		switch {
		case err == nil && n > 0:
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			pc.mu.Lock()
			hup := pc.hup
			pc.mu.Unlock()
			if hup {
				// After the peer's FIN a read returns 0, not EAGAIN; a
				// socket reporting both is broken, and since park refuses
				// to wait once hup is set, reporting EAGAIN would spin.
				return 0, io.EOF
			}
			return 0, errAgain
		}
		return 0, err
	}
}

func (pc *pollConn) waitRead(deadline int64) error { return pc.wait(false, deadline) }

// wait blocks until the loop reports the connection readable (or writable)
// or the deadline passes. Waiting is the slow path (a body still in flight,
// a client that reads slowly), so a channel and a timer per wait are fine.
func (pc *pollConn) wait(write bool, deadline int64) error {
	var ch chan struct{}
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		pc.mu.Lock()
		ready := &pc.readReady
		if write {
			ready = &pc.writeReady
		}
		if *ready || pc.aborted {
			*ready = false
			pc.waiter = nil
			pc.mu.Unlock()
			return nil
		}
		if ch == nil {
			ch = make(chan struct{}, 1)
		}
		pc.waiter = ch
		pc.mu.Unlock()
		if t == nil {
			d := time.Until(time.Unix(0, deadline))
			if d <= 0 {
				pc.clearWaiter()
				return errTimeout
			}
			t = time.NewTimer(d)
		}
		select {
		case <-ch:
		case <-t.C:
			pc.clearWaiter()
			return errTimeout
		}
	}
}

func (pc *pollConn) clearWaiter() {
	pc.mu.Lock()
	pc.waiter = nil
	pc.mu.Unlock()
}

func (pc *pollConn) write(p []byte, timeout time.Duration) error {
	for len(p) > 0 {
		n, err := rawWrite(int(pc.fd), p)
		if n > 0 {
			p = p[n:]
		}
		switch {
		case err == nil, err == unix.EINTR:
		case err == unix.EAGAIN:
			pc.mu.Lock()
			aborted := pc.aborted
			pc.mu.Unlock()
			if aborted {
				return io.ErrClosedPipe
			}
			if err := pc.wait(true, time.Now().Add(timeout).UnixNano()); err != nil {
				return err
			}
		default:
			return err
		}
	}
	return nil
}

// writevDirect writes a and then b with writev when t is a pollConn; ok
// is false for other transports. The call is to the concrete type, so
// that b, which is a handler's Write argument, does not escape.
func writevDirect(t transport, a, b []byte, timeout time.Duration) (ok bool, err error) {
	if pc, ok := t.(*pollConn); ok {
		return true, pc.writev(a, b, timeout)
	}
	return false, nil
}

// writev writes all of a and then all of b, in one system call when the
// socket takes them, with write's timeout.
func (pc *pollConn) writev(a, b []byte, timeout time.Duration) error {
	for len(a) > 0 {
		if len(b) == 0 {
			return pc.write(a, timeout)
		}
		n, err := rawWritev(int(pc.fd), a, b)
		if n >= len(a) {
			b, a = b[n-len(a):], nil
		} else if n > 0 {
			a = a[n:]
		}
		if err != 0 {
			if err := pc.writeWait(err, timeout); err != nil {
				return err
			}
		}
	}
	return pc.write(b, timeout)
}

// sendFile writes head, then sends the file with sendfile(2), waiting for
// the socket to drain through the loop as write does. The head is a plain
// write, not held back with MSG_MORE or TCP_CORK (see response.SendFile).
func (pc *pollConn) sendFile(head []byte, f *os.File, offset, n int64, timeout time.Duration) (int64, error) {
	if err := pc.write(head, timeout); err != nil {
		return 0, err
	}
	fd := int(f.Fd())
	defer runtime.KeepAlive(f)
	var sent int64
	for sent < n {
		off := offset + sent
		// sendfile may block on a page-cache miss, so it is a normal
		// system call, not a raw one.
		k, err := unix.Sendfile(int(pc.fd), fd, &off, int(min(n-sent, 1<<30)))
		if k > 0 {
			sent += int64(k)
		}
		switch {
		case err == nil && k == 0:
			return sent, io.ErrUnexpectedEOF // the file shrank
		case err == nil:
		case err == unix.EAGAIN || err == unix.EINTR:
			if err := pc.writeWait(err.(unix.Errno), timeout); err != nil {
				return sent, err
			}
		default:
			return sent, err
		}
	}
	return sent, nil
}

// writeWait handles a failed write's errno: EINTR retries, EAGAIN waits
// for the socket to become writable, anything else is the error.
func (pc *pollConn) writeWait(e unix.Errno, timeout time.Duration) error {
	switch e {
	case unix.EINTR:
		return nil
	case unix.EAGAIN:
		pc.mu.Lock()
		aborted := pc.aborted
		pc.mu.Unlock()
		if aborted {
			return io.ErrClosedPipe
		}
		return pc.wait(true, time.Now().Add(timeout).UnixNano())
	}
	return e
}

func (pc *pollConn) park(deadline int64, partial bool) bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.readReady || pc.aborted || pc.hup {
		pc.readReady = false
		return false
	}
	pc.state, pc.deadline, pc.partial, pc.writeReady = stParked, deadline, partial, false
	return true
}

func (pc *pollConn) pendingInput() int64 { return 0 }

// readNow is read, which never waits (tlsConn.peerGone).
func (pc *pollConn) readNow(p []byte) (int, error) { return pc.read(p, 0) }

func (pc *pollConn) peerGone() bool {
	pc.mu.Lock()
	aborted := pc.aborted
	pc.mu.Unlock()
	return aborted || peekClosed(uintptr(pc.fd))
}

func (pc *pollConn) closeWrite() error { return unix.Shutdown(int(pc.fd), unix.SHUT_WR) }

func (pc *pollConn) close() {
	pc.mu.Lock()
	pc.state = stClosed
	pc.mu.Unlock()
	// Clear the table slot before closing: once closed, the descriptor
	// number may be reused by the next accepted connection.
	pc.p.e.table.clear(int(pc.fd), pc)
	unix.Close(int(pc.fd))
	pc.srv.release()
}

// fail closes pc if it is parked and makes it fail if it is busy: for
// Close, and when its loop has failed.
func (pc *pollConn) fail() {
	if _, ok := pc.claimParked(-1); ok {
		pc.closeNow()
		return
	}
	pc.abort()
}

func (pc *pollConn) abort() {
	pc.mu.Lock()
	if pc.state == stClosed {
		pc.mu.Unlock()
		return
	}
	pc.aborted = true
	unix.Shutdown(int(pc.fd), unix.SHUT_RDWR)
	w := pc.waiter
	pc.mu.Unlock()
	if w != nil {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

func (pc *pollConn) hijack() (net.Conn, error) {
	pc.mu.Lock()
	pc.state = stClosed
	pc.mu.Unlock()
	unix.EpollCtl(pc.p.epfd, unix.EPOLL_CTL_DEL, int(pc.fd), nil)
	pc.p.e.table.clear(int(pc.fd), pc)
	// net.FileConn duplicates the descriptor into Go's netpoller; the
	// original is closed with f.
	f := os.NewFile(uintptr(pc.fd), "hijacked")
	nc, err := net.FileConn(f)
	f.Close()
	return nc, err
}
