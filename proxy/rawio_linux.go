//go:build linux

package proxy

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawConn is a plain TCP upstream connection whose reads and writes are
// raw system calls, waited for through the netpoller as any net.Conn's
// (deadlines included). A socket call through package net is a
// scheduler syscall: entersyscall and exitsyscall, and when the call
// lingers (a write to a local upstream wakes it, and on a shared core the
// kernel may switch to it right there) the runtime hands the goroutine's P
// to another thread and parks this one when it returns. Raw calls on the
// non-blocking socket never block, so none of that is needed: the
// server's engine makes its own calls the same way
// (server/rawsyscall_linux.go).
type rawConn struct {
	*net.TCPConn
	rc syscall.RawConn
	// The callbacks are made once per connection and take their
	// arguments from here, so a read or write allocates nothing. A read
	// and a write may run at once (a tunnel), so each has its own.
	readFn, writeFn func(fd uintptr) bool
	r, w            rawOp
}

// rawOp is one read's or write's arguments and results.
type rawOp struct {
	p   []byte
	n   int
	err error
}

// fastConn returns nc with raw reads and writes when it is a TCP
// connection, nil otherwise.
func fastConn(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &rawConn{TCPConn: tc, rc: rc}
	c.readFn = c.readOnce
	c.writeFn = c.writeSome
	return c
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.r = rawOp{p: p}
	err := c.rc.Read(c.readFn)
	c.r.p = nil
	if err != nil {
		return 0, err
	}
	return c.r.n, c.r.err
}

// readOnce reads once; false asks to wait for readability first.
func (c *rawConn) readOnce(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&c.r.p[0])), uintptr(len(c.r.p)))
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			return false
		case e != 0:
			c.r.err = e
		case n == 0:
			c.r.err = io.EOF
		default:
			c.r.n = int(n)
		}
		return true
	}
}

func (c *rawConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.w = rawOp{p: p}
	err := c.rc.Write(c.writeFn)
	c.w.p = nil
	if err == nil {
		err = c.w.err
	}
	return c.w.n, err
}

// writeSome writes what the socket takes; false asks to wait for
// writability before the rest.
func (c *rawConn) writeSome(fd uintptr) bool {
	for c.w.n < len(c.w.p) {
		rest := c.w.p[c.w.n:]
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		switch e {
		case 0:
			c.w.n += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.w.err = e
			return true
		}
	}
	return true
}

var _ io.ReadWriter = (*rawConn)(nil)
