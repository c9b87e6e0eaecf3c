package fastcgi

import (
	"net"
	"syscall"
)

// alive reports whether an idle connection is still open at the other
// end: a PHP-FPM child that reached pm.max_requests, or was stopped,
// closes its connection right after its last request's END_REQUEST, and a
// request written to it would be lost. It peeks without blocking; data on
// an idle connection is as wrong as its end.
func alive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [1]byte
	live := true
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		live = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK) || err == syscall.EINTR
		return true
	})
	return err == nil && live
}
