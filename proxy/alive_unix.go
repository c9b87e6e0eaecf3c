//go:build unix

package proxy

import "syscall"

// peeker holds what alive needs, made once per connection.
type peeker struct {
	raw  syscall.RawConn
	fn   func(fd uintptr) bool
	open bool
}

// alive reports whether an idle connection still looks open: nothing
// is waiting to be read on it (an idle upstream has nothing to say) and
// it was not closed. One non-blocking peek, so that a request is not sent
// down a connection the upstream already closed. The raw connection and
// the peek function are made once per connection, so the check
// allocates nothing.
func (c *conn) alive() bool {
	if c.peek.raw == nil {
		sc, ok := c.raw.(syscall.Conn)
		if !ok {
			return true
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		c.peek.raw = rc
		c.peek.fn = func(fd uintptr) bool {
			var b [1]byte
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			c.peek.open = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
			return true
		}
	}
	c.peek.open = false
	if err := c.peek.raw.Read(c.peek.fn); err != nil {
		return false
	}
	return c.peek.open
}
