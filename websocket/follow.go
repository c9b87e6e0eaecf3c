package websocket

import (
	"crypto/rand"
	"net"
	"sync"
	"time"

	"github.com/brick-server/brick/wire/wsframe"
)

// status101 starts the only response head that WebSocket frames follow.
const status101 = "HTTP/1.1 101 "

// followed is one direction of a connection that Brick passes bytes
// through without framing them itself: a library's writes to its client
// (TrackForeign) or what a reverse proxy relays (Relay). Writes
// pass through while their frame heads are followed (each head's length
// says where its frame ends), so that a close frame (1001, going away)
// owed at the end of a drain goes out between two frames, where RFC 6455
// §5.4 lets a control frame go even inside a fragmented message. After
// it, writes are dropped, as a closed WebSocket sends nothing. A stream
// that is not a WebSocket's (a refused handshake, another protocol, a
// head Brick cannot parse) is passed through untouched and never gets a
// close frame. The fields are fixed-size: a followed connection allocates
// nothing per write.
type followed struct {
	net.Conn

	mu     sync.Mutex // held across each write: frames are followed in order
	masked bool       // a client's frames (§5.3): masked, as is the close frame
	inHead bool       // the response head is still being written
	line   [len(status101)]byte
	nline  uint8 // the head's first bytes, for its status
	crlf   uint8 // how much of "\r\n\r\n" the head ends with so far
	opaque bool  // not WebSocket frames (or none Brick can follow)
	fh     [wsframe.MaxHeaderLen]byte
	nfh    uint8 // a frame head being written, in pieces
	remain int64 // payload bytes of the current frame still to come
	away   bool  // the close frame is owed at the next frame boundary
	sent   bool  // it went out: later writes are dropped
}

// Write passes p on while following its frames; once the close frame is
// owed it goes out at the first frame boundary, and the rest is dropped.
func (c *followed) Write(p []byte) (int, error) {
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
func (c *followed) atBoundary() bool {
	return !c.inHead && !c.opaque && c.nfh == 0 && c.remain == 0
}

// step follows the start of p, which is being written: response head,
// frame head or payload bytes, up to the end of the current piece. It
// returns how many bytes it took, at least one.
func (c *followed) step(p []byte) int {
	switch {
	case c.opaque:
		return len(p)
	case c.inHead:
		for i, b := range p {
			if int(c.nline) < len(c.line) {
				c.line[c.nline] = b
				c.nline++
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
				c.opaque = string(c.line[:c.nline]) != status101
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
	if c.nfh >= 2 {
		need = wsframe.HeaderLen(c.fh[1])
	}
	k := copy(c.fh[c.nfh:need], p)
	c.nfh += uint8(k)
	if c.nfh < 2 || int(c.nfh) < wsframe.HeaderLen(c.fh[1]) {
		return k
	}
	h, _, err := wsframe.Parser{Server: c.masked, AllowRsv: wsframe.RSV1 | wsframe.RSV2 | wsframe.RSV3}.ParseHeader(c.fh[:c.nfh])
	c.nfh = 0
	if err != nil {
		c.opaque = true // Brick can only close it
		return k
	}
	c.remain = h.Length
	return k
}

// sendClose writes the close frame (under c.mu, at a frame boundary).
func (c *followed) sendClose() {
	var b [wsframe.MaxHeaderLen + wsframe.MaxControlPayload]byte
	var payload [wsframe.MaxControlPayload]byte
	p := wsframe.AppendClose(payload[:0], wsframe.CloseGoingAway, "server going away")
	h := wsframe.Header{Fin: true, Op: wsframe.OpClose, Length: int64(len(p)), Masked: c.masked}
	if c.masked {
		rand.Read(h.Mask[:])
		wsframe.Mask(h.Mask, 0, p)
	}
	f := append(wsframe.AppendHeader(b[:0], h), p...)
	c.Conn.SetWriteDeadline(time.Now().Add(foreignCloseTimeout))
	c.Conn.Write(f)
	c.sent = true
}

// owe makes the close frame owed: it goes out now at a frame boundary,
// else when the frame being written ends. It reports whether the stream
// is a WebSocket's that may still get it (false: opaque, nothing owed).
func (c *followed) owe() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent {
		return true
	}
	if c.opaque {
		return false
	}
	c.away = true
	if c.atBoundary() {
		c.sendClose()
	}
	return true
}
