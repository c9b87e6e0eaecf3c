package fastcgi

import (
	"net"
	"syscall"
)

// peeker tells whether an idle connection is still open at the other end:
// a PHP-FPM child that reached pm.max_requests, or was stopped, shuts its
// connection down just after its last request's END_REQUEST, and a request
// written to it would be lost. It peeks without blocking; data on an idle
// connection is as wrong as its end. Its callback is made once, at dial,
// so a check costs a system call and no allocation.
type peeker struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	live bool
	buf  [1]byte
}

func (p *peeker) init(nc net.Conn) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	p.rc = rc
	p.fn = func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		p.live = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	}
}

func (p *peeker) alive() bool {
	if p.rc == nil {
		return true
	}
	p.live = false
	return p.rc.Read(p.fn) == nil && p.live
}
