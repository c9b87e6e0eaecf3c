package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/brick-server/brick/wire"
)

// Transport makes the connections to upstreams. Dial is given the
// upstream's host:port as configured, so a name is resolved on every
// new connection.
type Transport interface {
	Dial(ctx context.Context, addr string) (net.Conn, error)
}

// tcpTransport dials TCP with the system resolver.
type tcpTransport struct{ d net.Dialer }

func (t *tcpTransport) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return t.d.DialContext(ctx, "tcp", addr)
}

// Buffer sizes of a connection: the read buffer grows for a large head
// up to maxHead, and body bytes move in copyBuf-sized pieces.
const (
	readBuf = 16 << 10
	maxHead = 64 << 10
	copyBuf = 32 << 10
)

// conn is one connection to an upstream with its buffers. It is used by
// one request at a time and kept in its upstream's idle pool between.
type conn struct {
	nc net.Conn
	// raw is the connection under TLS (nc itself for http): an idle
	// connection's close is peeked for there.
	raw  net.Conn
	up   *upstream
	buf  []byte // read buffer; buf[r:w] is unread
	r, w int
	out  []byte // the request head being written
	body []byte // request body pieces, allocated on first use
	// reused: the connection served an earlier request, so a failure
	// before any byte of the response may just be the upstream having
	// closed it while idle.
	reused    bool
	idleSince time.Time
	// deadline is the one last set on nc, for reads and writes (arm).
	deadline time.Time
	// unflushed: body bytes were written to the client since its last
	// flush.
	unflushed bool
	// spool takes the body while buffer_responses reads it, framed as
	// framing; nil when it goes straight to the client.
	spool   *spool
	framing wire.BodyFraming
	resp    wire.ReceivedResponse
	chunks  wire.ChunkedDecoder
	// peek serves alive (alive_unix.go).
	peek peeker
}

// errTimeout marks a wait for the upstream that ran past the timeout.
var errTimeout = errors.New("proxy: upstream timed out")

// fill reads more bytes into c.buf, waiting at most timeout. It grows
// the buffer only when it is full from its start, up to max.
func (c *conn) fill(timeout time.Duration, max int) (int, error) {
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	if c.w == len(c.buf) {
		if c.r > 0 {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		} else {
			if len(c.buf) >= max {
				return 0, wire.ErrResponseHeadTooLarge
			}
			nb := make([]byte, min(2*len(c.buf), max))
			copy(nb, c.buf[:c.w])
			c.buf = nb
		}
	}
	c.arm(timeout)
	n, err := c.nc.Read(c.buf[c.w:])
	c.w += n
	if n > 0 {
		return n, nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 0, errTimeout
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return 0, err
}

// readHead reads and parses the response head, skipping interim 1xx
// responses other than 101. got says whether any byte arrived at all.
func (c *conn) readHead(timeout time.Duration) (got bool, err error) {
	for {
		n, err := wire.ParseResponse(&c.resp, c.buf[c.r:c.w], nil)
		switch {
		case err == nil:
			c.r += n
			if c.resp.Status < 200 && c.resp.Status != 101 {
				continue
			}
			return true, nil
		case err != wire.ErrNeedMore:
			return true, err
		}
		if _, err := c.fill(timeout, maxHead); err != nil {
			return c.w > c.r, err
		}
		got = true
	}
}

func (c *conn) close() { c.nc.Close() }

// arm bounds the next wait on c, read or write, by timeout. Setting a
// deadline costs a timer update in the runtime, so it is moved only
// once it lags the wanted one by more than a sixteenth of timeout (at
// most 250 ms): under load a connection's deadline moves a few times a
// second, not twice per request, and a wait may end up to that slack
// before timeout, never after.
func (c *conn) arm(timeout time.Duration) {
	d := time.Now().Add(timeout)
	if d.Sub(c.deadline) > min(timeout/16, 250*time.Millisecond) {
		c.deadline = d
		c.nc.SetDeadline(d)
	}
}
