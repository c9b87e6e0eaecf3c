//go:build linux

package proxy

import (
	"errors"
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
	// send is written by the next Read before it waits (sendThenRead).
	send []byte
}

// rawOp is one read's or write's arguments and results; a read's send
// and sent are sendThenRead's.
type rawOp struct {
	p, send []byte
	n, sent int
	err     error
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

// sendThenRead makes the next Read write p first and then wait for the
// answer without trying a read that could only find nothing yet. Read
// through the netpoller forgets a readiness seen before it began, so it
// must try a read before it waits, one system call that finds EAGAIN
// nearly every time just after a request went out; a request written
// inside the read, after that point, cannot have been answered before
// it, so waiting at once is safe. A failure to write is a *sendError.
func (c *rawConn) sendThenRead(p []byte) { c.send = p }

// sendError is a failure to write what sendThenRead was given: nothing
// reached the upstream, unlike a read's failure.
type sendError struct{ err error }

func (e *sendError) Error() string { return "sending: " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// notSent reports whether err is a sendError: apart from the hot path,
// as its errors.As target escapes.
func notSent(err error) bool {
	var se *sendError
	return errors.As(err, &se)
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	send := c.send
	c.send = nil
	c.r = rawOp{p: p, send: send}
	err := c.rc.Read(c.readFn)
	c.r.p = nil
	if err != nil {
		if c.r.sent < len(send) {
			err = &sendError{err}
		}
		return 0, err
	}
	if c.r.sent < len(send) {
		// The socket took part of it: the rest waits for room.
		if c.r.err != nil {
			return 0, &sendError{c.r.err}
		}
		if _, err := c.Write(send[c.r.sent:]); err != nil {
			return 0, &sendError{err}
		}
		return c.Read(p)
	}
	return c.r.n, c.r.err
}

// readOnce reads once; false asks to wait for readability first. On its
// first call of a Read after sendThenRead, it writes instead.
func (c *rawConn) readOnce(fd uintptr) bool {
	if s := c.r.send; s != nil {
		c.r.send = nil
		for c.r.sent < len(s) {
			rest := s[c.r.sent:]
			n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
			switch e {
			case 0:
				c.r.sent += int(n)
			case unix.EINTR:
			case unix.EAGAIN:
				return true
			default:
				c.r.err = e
				return true
			}
		}
		return false
	}
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
