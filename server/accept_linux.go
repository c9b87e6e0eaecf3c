//go:build linux

package server

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// servePoll accepts on ln's descriptor with accept4, waiting for readiness
// through Go's netpoller (one goroutine per listener), and gives each
// connection to a loop.
func (s *Server) servePoll(ln net.Listener, tlsCfg *tls.Config) error {
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
			s.unacquire()
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
		if h := e.hooks.Load(); h != nil && h.accepted != nil {
			h.accepted()
		}
		if err := e.add(acc.fd, rawSockAddr(&acc.rsa), tlsCfg); err != nil {
			return err
		}
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

// errNoLoops is Serve's error once every readiness loop has failed.
var errNoLoops = errors.New("server: every readiness loop has failed (see the log); restart the server, or set GoroutinePerConn")

// add registers an accepted socket with a loop (over TLS with tlsCfg),
// edge-triggered for both directions, so no epoll_ctl call is needed again until it closes. It
// fails only when no loop is left to take it.
func (e *engine) add(fd int, remote sockAddr, tlsCfg *tls.Config) error {
	s := e.srv
	s.conns.Add(1)
	p := e.pick()
	if p == nil {
		unix.Close(fd)
		s.release()
		return errNoLoops
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	pc := &pollConn{fd: int32(fd), gen: e.gen.Add(1), p: p}
	now := s.clock.Now()
	pc.conn = conn{srv: s, t: pc, remote: remote, headSince: now, local: rawLocalAddr(fd)}
	pc.deadline = now + int64(s.live().to.ReadHeader)
	if tlsCfg != nil {
		pc.conn.t = newTLSConn(pc, &pc.conn, tlsCfg, true)
	}
	if !e.table.set(fd, pc) {
		s.log.Warn("descriptor beyond the connection table; closing", "fd", fd)
		unix.Close(fd)
		s.release()
		return nil
	}
	// The generation rides in the event's data beside the descriptor; see
	// pollConn.gen.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd: pc.fd, Pad: int32(pc.gen)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		s.log.Error("epoll_ctl add failed", "err", err)
		e.table.clear(fd, pc)
		unix.Close(fd)
		s.release()
		return nil
	}
	// The loop may have failed since pick; its sweep of the table (after
	// it set failed) may have missed pc (set in the table before this
	// check), so one of the two closes it.
	if p.failed.Load() {
		pc.fail()
	}
	return nil
}

// pick chooses the next loop in turn that has not failed, or nil.
func (e *engine) pick() *poller {
	n := len(e.pollers)
	start := int(e.next.Add(1))
	for i := range n {
		if p := e.pollers[(start+i)%n]; !p.failed.Load() {
			return p
		}
	}
	return nil
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
