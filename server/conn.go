package server

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/internal/bufpool"
	"github.com/brick-server/brick/wire"
)

// transport is what the protocol core needs from a connection. There are
// two: pollConn, driven by Brick's readiness loops (Linux), and netConn, a
// goroutine per connection over Go's netpoller (everywhere).
type transport interface {
	// read reads into p. A pollConn never blocks: with nothing to read it
	// returns errAgain. A netConn blocks until deadline (unix ns).
	read(p []byte, deadline int64) (int, error)
	// waitRead blocks until the connection may have become readable, or
	// fails with errTimeout at deadline. A netConn returns at once.
	waitRead(deadline int64) error
	// write writes all of p, failing when the client accepts nothing for
	// the write timeout.
	write(p []byte, timeout time.Duration) error
	// park hands the connection back to its loop until it is readable,
	// with deadline as its idle or header deadline, and reports whether it
	// did; after true the caller must not touch the connection. A netConn
	// never parks.
	park(deadline int64, partial bool) bool
	// sendFile writes head, then n bytes of f from offset, with
	// sendfile(2) where it can; it returns how many bytes of the file it
	// sent. Like write it fails when the client accepts nothing for the
	// write timeout.
	sendFile(head []byte, f *os.File, offset, n int64, timeout time.Duration) (int64, error)
	// closeWrite sends FIN after the bytes written so far (shutdown
	// SHUT_WR) and leaves the read side open.
	closeWrite() error
	// close closes the connection; it is called once, by its owner.
	close()
	// abort makes pending and future I/O fail; any goroutine may call it.
	abort()
	// hijack detaches the connection from the server as a net.Conn.
	hijack() (net.Conn, error)
	// peerGone reports, without waiting, whether the client closed its
	// side of the connection or reset it (see web.ClientGone).
	peerGone() bool
	// pendingInput is when input began arriving that is not yet readable
	// as request bytes (part of a TLS record), in unix ns; 0 when none.
	pendingInput() int64
}

var (
	errAgain   = errors.New("server: no data yet")
	errTimeout = errors.New("server: timeout")
)

// idleBetween marks a connection waiting between requests in conn.idle.
const idleBetween = 1

// conn is one client connection's protocol state. It is small on purpose:
// while a connection is parked idle it holds no buffer, so this struct is
// most of what an idle connection costs.
type conn struct {
	srv    *Server
	t      transport
	remote sockAddr
	local  sockAddr

	buf  []byte // read buffer, len == cap; unconsumed bytes are buf[r:w]
	r, w int

	scan      int32 // where the head-end search resumes (wire.RequestParser.ScanPos)
	headSince int64 // when the first byte of the pending head arrived
	requests  int32
	lastFull  bool // the last read filled the buffer: more may be waiting
	closed    bool
	// lingerUntil is set (unix ns) once the connection is closing with a
	// lingering close: see exchange.lingerClose.
	lingerUntil int64
	lingered    int32 // bytes discarded while lingering (at most lingerMax)

	// idle is set (netConn only) while blocked waiting for a request.
	// Shutdown closes the connection only if it can take the mark first.
	// idle is set while the connection waits for a request, for Shutdown
	// to claim: idleBetween between requests, else (before the first
	// request) the unix second the wait began; 0 while busy. Seconds in
	// 32 bits keep an idle connection within its size budget.
	idle atomic.Uint32
}

// sockAddr is an IP address and port in 20 bytes, against 32 for a
// netip.AddrPort (which can carry an IPv6 zone): a connection keeps two, and
// what a parked connection holds is what bounds how many Brick can keep.
type sockAddr struct {
	ip    [16]byte
	port  uint16
	is4   bool
	valid bool
}

func toSockAddr(ap netip.AddrPort) sockAddr {
	if !ap.IsValid() {
		return sockAddr{}
	}
	a := ap.Addr()
	return sockAddr{ip: a.As16(), port: ap.Port(), is4: a.Is4(), valid: true}
}

// AddrPort returns the address as a netip.AddrPort.
func (a sockAddr) AddrPort() netip.AddrPort {
	switch {
	case !a.valid:
		return netip.AddrPort{}
	case a.is4:
		return netip.AddrPortFrom(netip.AddrFrom16(a.ip).Unmap(), a.port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16(a.ip), a.port)
}

// Buffer sizes: a read buffer starts at 4 KiB, which holds a typical head
// and keeps memory low under many connections; it grows for larger heads.
const (
	readBufSize = 4 << 10
	// flushAt is how much output is gathered before writing even when
	// pipelined requests remain.
	flushAt = 64 << 10
	// pendingMax is how much body is held back to compute Content-Length
	// before the response is sent chunked.
	pendingMax = 32 << 10
)

// releaseBuffers gives the read buffer back to the pool when
// they hold nothing; a parked connection then holds no buffer at all.
func (c *conn) releaseBuffers() {
	if c.r == c.w && c.buf != nil {
		bufpool.Put(c.buf)
		c.buf, c.r, c.w = nil, 0, 0
	}
}

// compact moves unconsumed bytes to the start of the read buffer. It must
// not run while a request's views point into the buffer.
func (c *conn) compact() {
	if c.r == c.w {
		c.r, c.w = 0, 0
		return
	}
	if c.r > 0 {
		n := copy(c.buf, c.buf[c.r:c.w])
		c.r, c.w = 0, n
	}
}

// ensureReadBuf gets a read buffer, or grows a full one for a head that
// has not fit yet; the parser's limits bound how far it grows.
func (c *conn) ensureReadBuf() {
	if c.buf == nil {
		c.buf = bufpool.Get(readBufSize)
		c.buf = c.buf[:cap(c.buf)]
		return
	}
	if c.w < len(c.buf) {
		return
	}
	nb := bufpool.Get(2 * len(c.buf))
	nb = nb[:cap(nb)]
	c.w = copy(nb, c.buf[c.r:c.w])
	c.r = 0
	bufpool.Put(c.buf)
	c.buf = nb
}

// closeNow closes the connection and returns its buffers.
func (c *conn) closeNow() {
	if c.closed {
		return
	}
	c.closed = true
	c.r, c.w = 0, 0
	c.releaseBuffers()
	c.t.close()
}

// headDeadline is when the head being received must be complete.
func (c *conn) headDeadline(to *Timeouts) int64 {
	return c.headSince + int64(to.ReadHeader)
}

// waitDeadline is the deadline while waiting for bytes of a new head: the
// header timeout for a connection's first request or a partial head (or
// TLS record), the idle timeout between requests.
func (c *conn) waitDeadline(now int64, partial bool, to *Timeouts) int64 {
	if partial || c.requests == 0 {
		return c.headDeadline(to)
	}
	return now + int64(to.Idle)
}

var cannedHeader = func() *wire.Header {
	h := new(wire.Header)
	h.Add("Content-Type", "text/plain; charset=utf-8")
	h.Add("X-Content-Type-Options", "nosniff")
	return h
}()

func appendCannedResponse(dst []byte, status int, reason string, date []byte, close bool) []byte {
	dst = wire.AppendResponseHead(dst, &wire.ResponseHead{
		Status: status, Header: cannedHeader, Date: date,
		ContentLength: int64(len(reason) + 1), Close: close,
	})
	dst = append(dst, reason...)
	return append(dst, '\n')
}
