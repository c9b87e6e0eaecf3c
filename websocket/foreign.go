package websocket

import (
	"net"
	"sync"
	"time"

	"github.com/brick-server/brick/wire/wsframe"
)

// Foreign says what a connection handed to TrackForeign carries from the
// server's side.
type Foreign int

const (
	// ForeignFrames: WebSocket frames from the first byte written (the
	// 101 response went out before).
	ForeignFrames Foreign = iota
	// ForeignHandshake: the library writes the response head itself,
	// then frames if that was 101 Switching Protocols.
	ForeignHandshake
)

// TrackForeign counts c, a WebSocket that a library outside this package
// serves on a hijacked connection (coder/websocket or gorilla behind
// package nethttp), among the connections Open counts and Drain waits
// for, until it is closed. The library must be given the returned
// connection in place of c.
//
// At the end of a drain Brick cannot close such a WebSocket through the
// library, which it does not know; it can still do better than cutting
// the connection. Writes pass through the returned connection, which
// follows the frame heads in them (a server's frames are not masked, and
// their lengths say where each ends), so Drain puts its close frame
// (1001, going away) between two of the library's frames, where RFC 6455
// §5.4 lets a control frame go even inside a fragmented message. After
// that the library's writes are dropped, as a closed WebSocket sends
// nothing; its reads go on, so it sees the client's close reply and ends
// the connection itself, else Drain closes it after CloseTimeout (5 s).
// When the library is in the middle of a frame that it never finishes,
// or wrote something that is not a WebSocket, the connection is only
// closed.
func TrackForeign(c net.Conn, f Foreign) net.Conn {
	fc := &foreignConn{Conn: c, closed: make(chan struct{}), inHead: f == ForeignHandshake, fh: make([]byte, 0, wsframe.MaxHeaderLen)}
	track(fc)
	return fc
}

// foreignCloseTimeout bounds the wait for the library to end the
// connection after the close frame, as Options.CloseTimeout does.
const foreignCloseTimeout = 5 * time.Second

// foreignConn is a tracked connection that a library serves.
type foreignConn struct {
	net.Conn

	mu     sync.Mutex // held across each write: frames are followed in order
	inHead bool       // the response head is still being written
	line   []byte     // the head's first bytes, for its status
	crlf   int        // how much of "\r\n\r\n" the head ends with so far
	opaque bool       // not WebSocket frames (or none Brick can follow)
	fh     []byte     // a frame head being written, in pieces
	remain int64      // payload bytes of the current frame still to come
	away   bool       // the close frame is owed at the next frame boundary
	sent   bool       // it went out: later writes are dropped

	closed    chan struct{}
	closeOnce sync.Once
}

// Write passes p on while following its frames; once the close frame is
// owed it goes out at the first frame boundary, and the rest is dropped.
func (c *foreignConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent {
		return len(p), nil
	}
	n := len(p)
	if c.away {
		// Only up to the end of the frame being written.
		n = 0
		for n < len(p) && !c.atBoundary() {
			n += c.step(p[n:])
		}
	} else {
		for k := 0; k < len(p); {
			k += c.step(p[k:])
		}
	}
	if _, err := c.Conn.Write(p[:n]); err != nil {
		return 0, err
	}
	if c.away && c.atBoundary() {
		c.sendClose()
	}
	return len(p), nil
}

// atBoundary reports whether the next byte written starts a frame.
func (c *foreignConn) atBoundary() bool {
	return !c.inHead && !c.opaque && len(c.fh) == 0 && c.remain == 0
}

// step follows the start of p, which is being written: response head,
// frame head or payload bytes, up to the end of the current piece. It
// returns how many bytes it took, at least one.
func (c *foreignConn) step(p []byte) int {
	switch {
	case c.opaque:
		return len(p)
	case c.inHead:
		const status = "HTTP/1.1 101 "
		for i, b := range p {
			if len(c.line) < len(status) {
				c.line = append(c.line, b)
			}
			switch {
			case b == "\r\n\r\n"[c.crlf]:
				c.crlf++
			case b == '\r':
				c.crlf = 1
			default:
				c.crlf = 0
			}
			if c.crlf == 4 {
				// Frames follow a 101 only.
				c.inHead = false
				c.opaque = string(c.line) != status
				return i + 1
			}
		}
		return len(p)
	case c.remain > 0:
		k := int(min(int64(len(p)), c.remain))
		c.remain -= int64(k)
		return k
	}
	// A frame head: its second byte says how long it is.
	need := 2
	if len(c.fh) >= 2 {
		need = wsframe.HeaderLen(c.fh[1])
	}
	k := min(need-len(c.fh), len(p))
	c.fh = append(c.fh, p[:k]...)
	if len(c.fh) < 2 || len(c.fh) < wsframe.HeaderLen(c.fh[1]) {
		return k
	}
	h, _, err := wsframe.Parser{AllowRsv: wsframe.RSV1 | wsframe.RSV2 | wsframe.RSV3}.ParseHeader(c.fh)
	c.fh = c.fh[:0]
	if err != nil {
		c.opaque = true // Brick can only close it
		return k
	}
	c.remain = h.Length
	return k
}

// sendClose writes the close frame (under c.mu, at a frame boundary).
func (c *foreignConn) sendClose() {
	var b [wsframe.MaxHeaderLen + wsframe.MaxControlPayload]byte
	payload := wsframe.AppendClose(nil, wsframe.CloseGoingAway, "server going away")
	f := wsframe.AppendHeader(b[:0], wsframe.Header{Fin: true, Op: wsframe.OpClose, Length: int64(len(payload))})
	f = append(f, payload...)
	c.Conn.SetWriteDeadline(time.Now().Add(foreignCloseTimeout))
	c.Conn.Write(f)
	c.sent = true
}

// goAway sends the close frame as soon as a frame boundary allows, and
// closes the connection once the library has, or after the timeout.
func (c *foreignConn) goAway() {
	// A write blocked on a client that does not read holds mu; the timer
	// below ends it.
	go c.owe()
	t := time.NewTimer(foreignCloseTimeout)
	defer t.Stop()
	select {
	case <-c.closed:
	case <-t.C:
		c.Close()
	}
}

// owe makes the close frame owed: it goes out now at a frame boundary,
// else when the frame being written ends.
func (c *foreignConn) owe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent {
		return
	}
	c.away = true
	if c.atBoundary() {
		c.sendClose()
	}
}

// Close closes the connection and stops counting it.
func (c *foreignConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = c.Conn.Close()
		untrack(c) // before goAway returns, so that Drain's count is right
		close(c.closed)
	})
	return err
}
