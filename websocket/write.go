package websocket

import (
	"time"

	"github.com/brick-server/brick/wire/wsframe"
)

// WriteMessage sends p as one message of type typ, compressed when
// permessage-deflate was agreed and p is at least Options.CompressMin
// bytes. A text message must be valid UTF-8: the peer would close with
// 1007 otherwise, so WriteMessage does not check what the caller
// promises. After the close frame went out it returns ErrClosed.
func (c *Conn) WriteMessage(typ MessageType, p []byte) error {
	if typ != Text && typ != Binary {
		panic("websocket: WriteMessage with a type other than Text or Binary")
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.closed.Load() {
		return ErrClosed
	}
	if c.deflate != nil && len(p) >= c.o.CompressMin {
		z, err := c.deflate.compress(p)
		if err != nil {
			return err
		}
		return c.writeLocked(wsframe.Opcode(typ), wsframe.RSV1, z)
	}
	return c.writeLocked(wsframe.Opcode(typ), 0, p)
}

// Ping sends a ping with payload p (at most 125 bytes); the peer's pong
// comes back through the reader, which must be running.
func (c *Conn) Ping(p []byte) error {
	if len(p) > wsframe.MaxControlPayload {
		return wsframe.ErrControlTooLong
	}
	return c.writeFrame(wsframe.OpPing, 0, p)
}

// writeFrame sends one unfragmented frame unless the close frame went out.
func (c *Conn) writeFrame(op wsframe.Opcode, rsv byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.closed.Load() {
		return ErrClosed
	}
	return c.writeLocked(op, rsv, p)
}

// writeLocked writes one frame. Small payloads are copied after the head
// for one write; large ones go out as they are, after the head, rather
// than growing a buffer the connection would keep.
func (c *Conn) writeLocked(op wsframe.Opcode, rsv byte, p []byte) error {
	if c.o.WriteTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.o.WriteTimeout))
	}
	b := wsframe.AppendHeader(c.wbuf[:0], wsframe.Header{Fin: true, Rsv: rsv, Op: op, Length: int64(len(p))})
	if len(b)+len(p) <= cap(c.wbuf) {
		b = append(b, p...)
		_, err := c.nc.Write(b)
		return err
	}
	if _, err := c.nc.Write(b); err != nil {
		return err
	}
	_, err := c.nc.Write(p)
	return err
}

// sendClose sends a close frame once; later calls do nothing.
func (c *Conn) sendClose(code int, reason string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	if c.closed.Load() {
		return ErrClosed
	}
	c.closeSent = true
	var p [wsframe.MaxControlPayload]byte
	return c.writeLocked(wsframe.OpClose, 0, wsframe.AppendClose(p[:0], code, reason))
}

// Close starts the closing handshake (§7.1.2) with code and reason (cut
// to fit a control frame), waits up to Options.CloseTimeout for the
// peer's close frame, and closes the connection. code must be valid on
// the wire (wsframe.ValidCloseCode) or CloseNoStatus for an empty close
// frame. When a goroutine is inside ReadMessage, that reader consumes the
// peer's reply (and returns its *CloseError); otherwise Close reads and
// discards messages until it comes, and the next ReadMessage reports the
// end. Close is safe to call from any goroutine, while another reads.
// PeerCloseCode tells the peer's code afterwards.
func (c *Conn) Close(code int, reason string) error {
	if code != wsframe.CloseNoStatus && !wsframe.ValidCloseCode(code) {
		return wsframe.ErrBadCloseCode
	}
	err := c.sendClose(code, reason)
	if err != nil {
		c.closeNet()
		return err
	}
	c.nc.SetReadDeadline(time.Now().Add(c.o.CloseTimeout))
	// A reader blocked in ReadMessage holds rmu and will see the reply;
	// otherwise Close reads for itself, and a later ReadMessage waits for
	// it and then reports how the connection ended.
	if c.rmu.TryLock() {
		var buf []byte
		for c.readErr == nil {
			_, buf, _ = c.readLocked(buf)
		}
		c.rmu.Unlock()
	}
	select {
	case <-c.readDone:
	case <-time.After(c.o.CloseTimeout):
	}
	c.closeNet()
	return nil
}

// PeerCloseCode returns the code of the peer's close frame, CloseNoStatus
// when it had none, or 0 when none came (yet).
func (c *Conn) PeerCloseCode() int { return int(c.peerCode.Load()) }

// startKeepalive arms the idle ping (Options.PingInterval). The timer runs
// a goroutine only when it fires: an idle connection holds none for it.
func (c *Conn) startKeepalive() {
	if c.o.PingInterval <= 0 {
		return
	}
	c.keepalive = time.AfterFunc(c.o.PingInterval, c.tick)
}

// tick runs once per PingInterval: traffic since the last tick proves the
// peer alive; silence sends a ping; silence after a ping ends the
// connection with 1011, as the websockets library and uvicorn do.
func (c *Conn) tick() {
	if c.closed.Load() {
		return
	}
	switch {
	case c.activity.Swap(false):
		c.pingOut.Store(false)
	case c.pingOut.Load():
		c.sendClose(wsframe.CloseInternalError, "keepalive ping timeout")
		c.closeNet()
		return
	default:
		c.pingOut.Store(true)
		if c.writeFrame(wsframe.OpPing, 0, nil) != nil {
			c.closeNet()
			return
		}
	}
	c.keepalive.Reset(c.o.PingInterval)
}
