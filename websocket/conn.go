package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire/wsframe"
)

// MessageType is a data message's type.
type MessageType int

// The two kinds of data message (RFC 6455 §5.6).
const (
	Text   MessageType = MessageType(wsframe.OpText)
	Binary MessageType = MessageType(wsframe.OpBinary)
)

// CloseError is how a connection ended, as ReadMessage reports it once the
// peer closed: the code and reason of its close frame (CloseNoStatus when
// it sent none). The reply was sent and the connection closed.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return "websocket: closed by the peer with code " + strconv.Itoa(e.Code) + " " + e.Reason
}

// errIdle tells Serve that only control frames came: it parks again.
var errIdle = errors.New("websocket: idle")

// ErrClosed is returned by writes after the close frame went out or the
// connection ended.
var ErrClosed = errors.New("websocket: connection closed")

// CloseCode is the close code of the connection's end for a ReadMessage
// error, as an ASGI websocket.disconnect reports it: the peer's code
// (*CloseError), the code the server closed with for a protocol violation
// (1002, 1007, 1009), or 1006 (abnormal: the connection dropped).
func CloseCode(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var we *wsframe.Error
	if errors.As(err, &we) {
		return we.Code
	}
	return wsframe.CloseAbnormal
}

// Conn is an accepted WebSocket connection. One goroutine may read
// (ReadMessage) while others write (WriteMessage, Ping, Close): writes are
// serialized, and the reader's automatic answers (pong, the close reply)
// take the same lock.
type Conn struct {
	nc          net.Conn
	br          *bufio.Reader
	o           options
	subprotocol string
	parser      wsframe.Parser

	// Read side: owned by the one reader.
	ctrl     [wsframe.MaxControlPayload]byte
	utf8     wsframe.UTF8
	readErr  error
	rmu      sync.Mutex    // held by the reader: ReadMessage, or Close reading for itself
	readDone chan struct{} // closed when the reader sees the end
	inflate  *inflater
	watched  web.WatchedConn // when the server watches the connection (serve.go)
	rest     *bytes.Reader   // watched: bytes that came with the handshake
	msg      *[]byte         // Serve's message buffer, pooled while parked
	wake     func()          // Serve's callback from the server

	// Write side, under wmu.
	wmu       sync.Mutex
	wbuf      []byte
	closeSent bool
	deflate   *deflater

	peerCode  atomic.Int32
	closed    atomic.Bool
	closeOnce sync.Once
	doneOnce  sync.Once
	activity  atomic.Bool
	pingOut   atomic.Bool
	keepalive *time.Timer
}

func newConn(nc net.Conn, br *bufio.Reader, o options, subprotocol string) *Conn {
	return &Conn{
		nc: nc, br: br, o: o, subprotocol: subprotocol,
		parser:   wsframe.Parser{Server: true},
		readDone: make(chan struct{}),
		wbuf:     make([]byte, 0, 4096),
	}
}

// Subprotocol returns the agreed subprotocol, "" for none.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Compressed reports whether permessage-deflate was agreed.
func (c *Conn) Compressed() bool { return c.inflate != nil }

// NetConn returns the underlying connection, for its addresses; reading or
// writing it directly breaks the framing.
func (c *Conn) NetConn() net.Conn { return c.nc }

// SetReadDeadline bounds ReadMessage, as net.Conn's does; a timed-out read
// ends the connection (a frame may have been cut in the middle).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// SetWriteDeadline bounds writes; it overrides Options.WriteTimeout until
// the next write sets its own.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// ReadMessage reads the next data message into dst[:0] (growing it as
// needed; pass the previous result back to read without allocating) and
// returns its type and bytes. Pings are answered, pongs noted and control
// frames between fragments handled on the way. When the peer closes,
// ReadMessage replies, closes the connection and returns a *CloseError;
// on a protocol violation it sends the close code of the *wsframe.Error
// it returns (1002, 1007, 1009) and closes. CloseCode maps any error to
// the code an ASGI disconnect event carries.
func (c *Conn) ReadMessage(dst []byte) (MessageType, []byte, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.readLocked(dst)
}

func (c *Conn) readLocked(dst []byte) (MessageType, []byte, error) {
	if c.readErr != nil {
		return 0, dst[:0], c.readErr
	}
	typ, msg, err := c.readMessage(dst[:0])
	if err == errIdle {
		return 0, msg, err
	}
	if err != nil {
		c.readErr = err
		c.endRead(err)
	}
	return typ, msg, err
}

func (c *Conn) readMessage(msg []byte) (MessageType, []byte, error) {
	var typ MessageType
	compressed := false
	started := false
	for {
		h, err := c.readHeader()
		if err != nil {
			return 0, msg, err
		}
		c.activity.Store(true)
		if h.Op.IsControl() {
			if err := c.control(h); err != nil {
				return 0, msg, err
			}
			if c.wake != nil && !started && c.br.Buffered() == 0 {
				// Served and watched: a pong or ping between messages
				// must not keep a goroutine waiting for the next one.
				return 0, msg, errIdle
			}
			continue
		}
		if h.Op == wsframe.OpContinuation {
			if !started {
				return 0, msg, wsframe.ErrUnexpectedCont
			}
			if h.Rsv != 0 {
				// RFC 7692 §6.1: only the first frame carries RSV1.
				return 0, msg, wsframe.ErrReservedBits
			}
		} else {
			if started {
				return 0, msg, wsframe.ErrExpectedCont
			}
			started, typ = true, MessageType(h.Op)
			compressed = h.Rsv&wsframe.RSV1 != 0
		}
		if int64(len(msg))+h.Length > c.o.MaxMessageSize {
			return 0, msg, wsframe.ErrTooBig
		}
		start := len(msg)
		if msg, err = c.readPayload(msg, h.Length); err != nil {
			return 0, msg, err
		}
		wsframe.Mask(h.Mask, 0, msg[start:])
		if typ == Text && !compressed && !c.utf8.Write(msg[start:]) {
			c.utf8 = wsframe.UTF8{}
			return 0, msg, wsframe.ErrInvalidUTF8
		}
		if !h.Fin {
			continue
		}
		if compressed {
			if msg, err = c.inflate.decompress(msg, c.o.MaxMessageSize); err != nil {
				return 0, msg, err
			}
			if typ == Text && !c.utf8.Write(msg) {
				c.utf8 = wsframe.UTF8{}
				return 0, msg, wsframe.ErrInvalidUTF8
			}
		}
		if typ == Text && !c.utf8.Done() {
			return 0, msg, wsframe.ErrInvalidUTF8
		}
		return typ, msg, nil
	}
}

// readPayload appends n payload bytes to msg. It grows msg as the bytes
// arrive, not by the length the head announced, so a peer that announces
// a large frame and sends nothing holds no large buffer.
func (c *Conn) readPayload(msg []byte, n int64) ([]byte, error) {
	const step = 64 << 10
	for n > 0 {
		k := min(n, step)
		start := len(msg)
		msg = grow(msg, int(k))
		if _, err := io.ReadFull(c.br, msg[start:]); err != nil {
			return msg[:start], err
		}
		n -= k
	}
	return msg, nil
}

// readHeader reads one frame head: two bytes say how long the rest is.
func (c *Conn) readHeader() (wsframe.Header, error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return wsframe.Header{}, err
	}
	if b, err = c.br.Peek(wsframe.HeaderLen(b[1])); err != nil {
		return wsframe.Header{}, err
	}
	h, n, err := c.parser.ParseHeader(b)
	if err != nil {
		return h, err
	}
	c.br.Discard(n)
	return h, nil
}

// control handles a ping, pong or close frame.
func (c *Conn) control(h wsframe.Header) error {
	p := c.ctrl[:h.Length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return err
	}
	wsframe.Mask(h.Mask, 0, p)
	switch h.Op {
	case wsframe.OpPing:
		// A failed pong shows up on the next read or write.
		c.writeFrame(wsframe.OpPong, 0, p)
	case wsframe.OpPong:
		c.pingOut.Store(false)
	case wsframe.OpClose:
		code, reason, err := wsframe.ParseClose(p)
		if err != nil {
			return err
		}
		c.peerCode.Store(int32(code))
		// Echo the code (§5.5.1); an empty close gets an empty reply.
		c.sendClose(code, "")
		return &CloseError{Code: code, Reason: string(reason)}
	}
	return nil
}

// endRead finishes the connection after the reader's last message: a
// violation is answered with its close code first.
func (c *Conn) endRead(err error) {
	var we *wsframe.Error
	if errors.As(err, &we) {
		c.sendClose(we.Code, we.Reason)
	}
	c.doneOnce.Do(func() { close(c.readDone) })
	c.closeNet()
}

func (c *Conn) closeNet() {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.keepalive != nil {
			c.keepalive.Stop()
		}
		c.nc.Close()
		untrack(c)
	})
}

// grow extends b by n bytes, reallocating only when its capacity is short.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*cap(b)+n)
	copy(nb, b)
	return nb
}
