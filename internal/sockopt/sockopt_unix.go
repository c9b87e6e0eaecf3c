//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sockopt

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// ReuseAddr sets SO_REUSEADDR, so a restarted server can bind while old
// connections sit in TIME_WAIT (Go sets it too; this keeps it explicit).
func ReuseAddr(c syscall.RawConn) error {
	return setInt(c, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
}

// ReusePort sets SO_REUSEPORT, so several processes can listen on one
// port and the kernel spreads connections between them.
func ReusePort(c syscall.RawConn) error {
	return setInt(c, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}

// Backlog calls listen(2) again on a listening socket to set its accept
// queue length; Linux and the BSDs apply the new length.
func Backlog(c syscall.RawConn, n int) error {
	var err error
	cerr := c.Control(func(fd uintptr) { err = unix.Listen(int(fd), n) })
	if cerr != nil {
		return cerr
	}
	return err
}

func setInt(c syscall.RawConn, level, opt, v int) error {
	var err error
	cerr := c.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), level, opt, v) })
	if cerr != nil {
		return cerr
	}
	return err
}
