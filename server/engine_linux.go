//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// engine is the readiness-loop model (see the package documentation): one
// epoll loop per core owns the sockets; a connection with work is handed to
// a worker goroutine, and handed back to its loop when idle.
type engine struct {
	srv *Server
	// idleConns is the number of parked connections between requests at
	// the last sweep: counted there, once a second, so that keeping it
	// costs the request path nothing.
	idleConns atomic.Int64
	pollers   []*poller
	next      atomic.Uint32
	table     fdTable

	mu   sync.Mutex
	idle []*worker // LIFO: the most recently used worker has a warm stack

	queue    []*pollConn // ready connections; queue[head:] wait for a worker
	head     int
	spinning bool // a worker has been woken for the queue and not yet taken from it

	stopOnce sync.Once
	stopped  atomic.Bool
}

// pollable reports whether ln has a file descriptor the loops can accept on.
func pollable(ln net.Listener) bool {
	_, ok := ln.(syscall.Conn)
	return ok
}

func (s *Server) startEngine() (*engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engine != nil {
		return s.engine, nil
	}
	e := &engine{srv: s}
	for range runtime.GOMAXPROCS(0) {
		p, err := newPoller(e)
		if err != nil {
			for _, p := range e.pollers { // not running yet
				p.file.Close()
				unix.Close(p.wakefd)
			}
			return nil, err
		}
		e.pollers = append(e.pollers, p)
	}
	for _, p := range e.pollers {
		go p.run()
	}
	s.engine = e
	return e, nil
}

// servePoll accepts on ln's descriptor with accept4, waiting for readiness
// through Go's netpoller (one goroutine per listener), and gives each
// connection to a loop.
func (s *Server) servePoll(ln net.Listener) error {
	e, err := s.startEngine()
	if err != nil {
		return err
	}
	lf, err := dupListener(ln)
	if err != nil {
		return err
	}
	defer lf.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-s.done:
			lf.Close() // unblocks the Read below
		case <-stop:
		}
	}()
	rc, err := lf.SyscallConn()
	if err != nil {
		return err
	}
	var delay time.Duration
	acc := new(acceptor)
	accept := acc.accept // one closure for the listener's life
	for {
		if !s.acquire() {
			return ErrServerClosed
		}
		err := rc.Read(accept)
		if err == nil {
			err = acc.err
		}
		if err != nil {
			<-s.slots
			if s.shutting.Load() {
				return ErrServerClosed
			}
			switch {
			case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
				continue
			case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE),
				errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM):
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying (raise the open-file limit or lower MaxConns)", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		e.add(acc.fd, rawSockAddr(&acc.rsa))
	}
}

// dupListener duplicates ln's descriptor into an *os.File. A net.Listener's
// raw connection cannot wait for readiness (its Read fails with EINVAL), but
// a non-blocking descriptor in an os.File is registered with Go's netpoller,
// so the accept loop can wait for connections without spinning and then take
// them with accept4, without creating a net.Conn for each.
func dupListener(ln net.Listener) (*os.File, error) {
	rc, err := ln.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil, err
	}
	var lfd int
	var derr error
	if err := rc.Control(func(fd uintptr) {
		lfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	if err := unix.SetNonblock(lfd, true); err != nil {
		unix.Close(lfd)
		return nil, err
	}
	return os.NewFile(uintptr(lfd), "listener"), nil
}

// add registers an accepted socket with a loop, edge-triggered for both
// directions, so no epoll_ctl call is needed again until it closes.
func (e *engine) add(fd int, remote sockAddr) {
	s := e.srv
	s.conns.Add(1)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	p := e.pollers[int(e.next.Add(1))%len(e.pollers)]
	pc := &pollConn{fd: fd, p: p}
	now := s.clock.Now()
	pc.conn = conn{srv: s, t: pc, remote: remote, headSince: now, local: rawLocalAddr(fd)}
	pc.deadline = now + int64(s.to.ReadHeader)
	if !e.table.set(fd, pc) {
		s.log.Warn("descriptor beyond the connection table; closing", "fd", fd)
		unix.Close(fd)
		s.release()
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		s.log.Error("epoll_ctl add failed", "err", err)
		e.table.clear(fd, pc)
		unix.Close(fd)
		s.release()
	}
}

// acceptor takes one connection per call from a listening socket; its
// method is the callback given to the netpoller, made once per listener so
// that accepting allocates nothing but the connection itself.
type acceptor struct {
	fd  int
	rsa unix.RawSockaddrAny
	err error
}

// accept runs accept4; it returns false (wait for readiness) on EAGAIN.
func (a *acceptor) accept(lfd uintptr) bool {
	l := uint32(unix.SizeofSockaddrAny)
	n, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, lfd, uintptr(unsafe.Pointer(&a.rsa)),
		uintptr(unsafe.Pointer(&l)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	a.fd, a.err = int(n), nil
	if e != 0 {
		a.fd, a.err = -1, e
	}
	return e != unix.EAGAIN
}

// rawLocalAddr is getsockname(2) into a sockAddr, without the allocations
// of unix.Getsockname.
func rawLocalAddr(fd int) sockAddr {
	var rsa unix.RawSockaddrAny
	l := uint32(unix.SizeofSockaddrAny)
	_, _, e := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)))
	if e != 0 {
		return sockAddr{}
	}
	return rawSockAddr(&rsa)
}

// rawSockAddr converts a kernel socket address; other families than IPv4
// and IPv6 (a Unix socket's) give the zero sockAddr.
func rawSockAddr(rsa *unix.RawSockaddrAny) sockAddr {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		a := sockAddr{port: netPort(&in.Port), is4: true, valid: true}
		a.ip[10], a.ip[11] = 0xff, 0xff
		copy(a.ip[12:], in.Addr[:])
		return a
	case unix.AF_INET6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		a := sockAddr{ip: in.Addr, port: netPort(&in.Port), valid: true}
		a.is4 = netip.AddrFrom16(a.ip).Is4In6()
		return a
	}
	return sockAddr{}
}

// netPort reads a port stored in network byte order.
func netPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// Dispatch. Ready connections go into a run queue that workers drain. A
// worker that finishes a connection takes the next one from the queue
// itself, so a burst of ready connections costs one goroutine wake-up, not
// one per connection. So that a handler that blocks never holds up the
// queue, a worker that takes a connection while others are waiting first
// wakes one more worker (unless one is already on its way): at most one
// wake-up is outstanding, and there is always a worker headed for a
// non-empty queue.

// dispatch queues a connection that became readable.
func (e *engine) dispatch(pc *pollConn) {
	e.mu.Lock()
	e.queue = append(e.queue, pc)
	e.wakeLocked()
	e.mu.Unlock()
}

// wakeLocked gets a worker headed for the queue when none is: the most
// recently idle one (its stack and buffers are warm), or a new one.
func (e *engine) wakeLocked() {
	if e.spinning {
		return
	}
	e.spinning = true
	if n := len(e.idle); n > 0 {
		w := e.idle[n-1]
		e.idle[n-1] = nil
		e.idle = e.idle[:n-1]
		w.ch <- false
		return
	}
	w := &worker{ch: make(chan bool, 1)}
	go w.run(e)
}

// take takes the next queued connection for a worker; it returns nil when
// the queue is empty and the worker should go idle. woken says whether the
// worker was the one headed for the queue.
func (e *engine) take(woken bool) *pollConn {
	e.mu.Lock()
	defer e.mu.Unlock()
	if woken {
		e.spinning = false
	}
	if e.head == len(e.queue) {
		clear(e.queue)
		e.queue, e.head = e.queue[:0], 0
		return nil
	}
	pc := e.queue[e.head]
	e.queue[e.head] = nil
	e.head++
	if e.head < len(e.queue) {
		e.wakeLocked()
	}
	return pc
}

// worker is a goroutine that serves connections one at a time, with the
// exchange (request view, response writer) it reuses for all of them.
type worker struct {
	ch   chan bool // false: go to the queue; true: exit
	x    exchange
	last int64
}

func (w *worker) run(e *engine) {
	w.x.keepBuffers = true
	woken := true
	for {
		pc := e.take(woken)
		woken = false
		if pc != nil {
			w.x.serve(&pc.conn)
			continue
		}
		w.last = e.srv.clock.Now()
		e.mu.Lock()
		if e.stopped.Load() {
			e.mu.Unlock()
			return
		}
		// A connection queued after next looked but before this worker
		// went idle has woken a worker already (spinning was false).
		e.idle = append(e.idle, w)
		e.mu.Unlock()
		if <-w.ch {
			return
		}
		woken = true
	}
}

// workerIdleTime is how long an idle worker waits before it exits.
const workerIdleTime = 10 * time.Second

// sweep closes parked connections past their deadline (with 408 when a
// head was partly received) and lets long-idle workers exit.
func (e *engine) sweep(now int64) {
	idle := 0
	e.table.each(func(pc *pollConn) {
		if pc.idleBetweenRequests() {
			idle++
		}
		if partial, ok := pc.claimParked(now); ok {
			if partial {
				var buf [256]byte
				rawWrite(pc.fd, appendCannedResponse(buf[:0], 408, "request header timeout", e.srv.clock.Date(), true))
			}
			pc.closeNow()
		}
	})
	e.idleConns.Store(int64(idle))
	e.mu.Lock()
	// Workers idle for a second give their spare buffers back: they are for
	// bursts, and a quiet server should hold memory only for connections.
	for _, w := range e.idle {
		if now-w.last > int64(time.Second) {
			w.x.dropSpares()
		}
	}
	old := 0
	for old < len(e.idle) && now-e.idle[old].last > int64(workerIdleTime) {
		e.idle[old].ch <- true
		old++
	}
	e.idle = append(e.idle[:0], e.idle[old:]...)
	e.mu.Unlock()
}

// closeParked closes the parked connections waiting between requests (for
// Shutdown). One with part of a head waits for its header deadline, and a
// new one gets newConnGrace to send its first request.
func (e *engine) closeParked() {
	now := time.Now().UnixNano() // the server's clock stops at Shutdown
	e.table.each(func(pc *pollConn) {
		if pc.claimIdle(now) {
			pc.closeNow()
		}
	})
}

// abortAll closes parked connections and makes busy ones fail (for Close).
func (e *engine) abortAll() {
	e.table.each(func(pc *pollConn) {
		if _, ok := pc.claimParked(-1); ok {
			pc.closeNow()
			return
		}
		pc.abort()
	})
}

func (e *engine) stop() {
	e.stopOnce.Do(func() {
		e.stopped.Store(true)
		for _, p := range e.pollers {
			p.wake()
		}
		e.mu.Lock()
		for _, w := range e.idle {
			w.ch <- true
		}
		e.idle = nil
		e.mu.Unlock()
	})
}

// poller is one readiness loop: an epoll instance and the goroutine that
// waits on it.
//
// The goroutine never blocks in epoll_wait. A goroutine blocked in a system
// call keeps its P (the runtime's right to run Go code) until sysmon takes
// it back, which can take up to 10 ms when the process is quiet; with one
// loop per core, all the Ps would sit in epoll_wait, and a worker woken by
// a loop would wait for sysmon before it could answer (measured: ~470 µs
// per kept-alive request on 2 cores, against ~30 µs). Instead the epoll
// descriptor, which is itself pollable, is registered with Go's netpoller
// through an os.File: the loop parks like any goroutine waiting on a
// socket, holding no P, and calls epoll_wait only with a zero timeout.
type poller struct {
	e      *engine
	epfd   int
	file   *os.File // owns epfd, registered with Go's netpoller
	rc     syscall.RawConn
	wakefd int // an eventfd that makes the loop look at e.stopped

	events []unix.EpollEvent // the loop's; filled by pollOnce
	n      int
	werr   error
}

func newPoller(e *engine) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, err
	}
	// os.NewFile registers a non-blocking descriptor with the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, err
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		unix.Close(wfd)
		return nil, err
	}
	return &poller{e: e, epfd: epfd, file: f, rc: rc, wakefd: wfd}, nil
}

func (p *poller) wake() {
	var one = [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

func (p *poller) run() {
	defer func() {
		p.file.Close()
		unix.Close(p.wakefd)
	}()
	// The callback is made once: a closure made per call would escape
	// through the RawConn interface and allocate on every wake-up.
	p.events = make([]unix.EpollEvent, 256)
	poll := p.pollOnce
	for {
		// Read calls poll at once and again each time the netpoller
		// reports the epoll descriptor readable; it parks the goroutine
		// in between.
		err := p.rc.Read(poll)
		if err == nil {
			err = p.werr
		}
		if err != nil {
			p.e.srv.log.Error("epoll_wait failed; loop stops", "err", err)
			return
		}
		for i := range p.n {
			ev := &p.events[i]
			fd := int(ev.Fd)
			if fd == p.wakefd {
				if p.e.stopped.Load() {
					return
				}
				continue
			}
			if pc := p.e.table.get(fd); pc != nil {
				pc.notify(ev.Events)
			}
		}
	}
}

// pollOnce takes the ready events without blocking; it reports whether
// there was anything (or an error) to act on.
func (p *poller) pollOnce(fd uintptr) bool {
	p.n, p.werr = rawEpollWait(int(fd), p.events)
	return p.n > 0 || p.werr != nil && p.werr != unix.EINTR
}

type pcState uint8

const (
	stParked pcState = iota // owned by its loop, waiting for readiness
	stBusy                  // owned by a worker (or the sweeper)
	stClosed                // closed or hijacked
)

// pollConn is a connection driven by a loop. Its mutex guards the
// hand-over between the loop (notify) and the goroutine that owns it.
type pollConn struct {
	conn
	fd int
	p  *poller

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
		n, err := rawRead(pc.fd, p)
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
		n, err := rawWrite(pc.fd, p)
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
		k, err := unix.Sendfile(pc.fd, fd, &off, int(min(n-sent, 1<<30)))
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

func (pc *pollConn) closeWrite() error { return unix.Shutdown(pc.fd, unix.SHUT_WR) }

func (pc *pollConn) close() {
	pc.mu.Lock()
	pc.state = stClosed
	pc.mu.Unlock()
	// Clear the table slot before closing: once closed, the descriptor
	// number may be reused by the next accepted connection.
	pc.p.e.table.clear(pc.fd, pc)
	unix.Close(pc.fd)
	pc.srv.release()
}

func (pc *pollConn) abort() {
	pc.mu.Lock()
	if pc.state == stClosed {
		pc.mu.Unlock()
		return
	}
	pc.aborted = true
	unix.Shutdown(pc.fd, unix.SHUT_RDWR)
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
	unix.EpollCtl(pc.p.epfd, unix.EPOLL_CTL_DEL, pc.fd, nil)
	pc.p.e.table.clear(pc.fd, pc)
	// net.FileConn duplicates the descriptor into Go's netpoller; the
	// original is closed with f.
	f := os.NewFile(uintptr(pc.fd), "hijacked")
	nc, err := net.FileConn(f)
	f.Close()
	return nc, err
}

// fdTable maps descriptors to connections for the loops, without a lock:
// two levels of atomic pointers, the second allocated on first use.
type fdTable struct {
	chunks [1 << fdChunkBits]atomic.Pointer[fdChunk]
}

const fdChunkBits = 10

type fdChunk [1 << fdChunkBits]atomic.Pointer[pollConn]

func (t *fdTable) slot(fd int, create bool) *atomic.Pointer[pollConn] {
	hi, lo := fd>>fdChunkBits, fd&(1<<fdChunkBits-1)
	if fd < 0 || hi >= len(t.chunks) {
		return nil
	}
	ch := t.chunks[hi].Load()
	if ch == nil {
		if !create {
			return nil
		}
		t.chunks[hi].CompareAndSwap(nil, new(fdChunk))
		ch = t.chunks[hi].Load()
	}
	return &ch[lo]
}

func (t *fdTable) get(fd int) *pollConn {
	if s := t.slot(fd, false); s != nil {
		return s.Load()
	}
	return nil
}

func (t *fdTable) set(fd int, pc *pollConn) bool {
	s := t.slot(fd, true)
	if s == nil {
		return false
	}
	s.Store(pc)
	return true
}

func (t *fdTable) clear(fd int, pc *pollConn) {
	if s := t.slot(fd, false); s != nil {
		s.CompareAndSwap(pc, nil)
	}
}

func (t *fdTable) each(f func(*pollConn)) {
	for i := range t.chunks {
		ch := t.chunks[i].Load()
		if ch == nil {
			continue
		}
		for j := range ch {
			if pc := ch[j].Load(); pc != nil {
				f(pc)
			}
		}
	}
}

// The request path's system calls never block: the sockets and the epoll
// descriptor are non-blocking and epoll_wait is called with a zero timeout.
// Making them as raw system calls skips the scheduler's entersyscall and
// exitsyscall (about 100 ns each way), which Go needs only for calls that
// may block. accept4, getsockname and the head of a sendfile response are
// raw for the same reason; sendfile itself may wait for the disk, so it is
// not.

func rawRead(fd int, p []byte) (int, error)  { return rawIO(unix.SYS_READ, fd, p) }
func rawWrite(fd int, p []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, p) }

func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawEpollWait(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func (e *engine) idleCount() int64 { return e.idleConns.Load() }
