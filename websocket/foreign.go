package websocket

import (
	"net"
	"sync"
	"time"
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
	fc := &foreignConn{followed: followed{Conn: c, inHead: f == ForeignHandshake}, closed: make(chan struct{})}
	track(fc)
	return fc
}

// foreignCloseTimeout bounds the wait for the library to end the
// connection after the close frame, as Options.CloseTimeout does.
const foreignCloseTimeout = 5 * time.Second

// foreignConn is a tracked connection that a library serves; its writes
// are followed (followed, follow.go).
type foreignConn struct {
	followed

	closed    chan struct{}
	closeOnce sync.Once
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
