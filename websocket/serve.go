package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/brick-server/brick/web"
)

// takeOver hijacks w's connection, watched by the server when
// Options.Watched asks and the server can.
func takeOver(w web.ResponseWriter, o options, subprotocol string) (*Conn, error) {
	if o.Watched {
		wc, rest, err := web.HijackWatched(w)
		if err == nil {
			c := newConn(wc, nil, o, subprotocol)
			c.watched = wc
			c.rest = bytes.NewReader(rest)
			c.br = c.newReader()
			return c, nil
		}
		if !errors.Is(err, web.ErrNotSupported) {
			return nil, err
		}
	}
	nc, brw, err := web.Hijack(w)
	if err != nil {
		return nil, err
	}
	return newConn(nc, brw.Reader, o, subprotocol), nil
}

// readers and messages hold the read and message buffers of watched
// connections between messages.
var (
	readers  = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	messages = sync.Pool{New: func() any { return new([]byte) }}
)

// newReader takes a pooled read buffer over the connection (and over the
// bytes that came with the handshake, until they are read).
func (c *Conn) newReader() *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	if c.rest.Len() > 0 {
		br.Reset(io.MultiReader(c.rest, c.nc))
	} else {
		br.Reset(c.nc)
	}
	return br
}

// Serve reads messages on its own and calls handle with each (msg is valid
// until handle returns), then done once with how the connection ended
// (see CloseCode); it returns at once. With Options.Watched on a server
// that watches, nothing waits between messages: the server calls back
// when the next one arrives, so an idle connection holds no goroutine, no
// read buffer and no message buffer (both are pooled meanwhile). Otherwise one goroutine reads. An
// error from handle closes the connection with 1011. Writes may come from
// anywhere meanwhile; ReadMessage must not be called.
func (c *Conn) Serve(handle func(MessageType, []byte) error, done func(error)) {
	if c.watched == nil {
		go c.serve(handle, done)
		return
	}
	c.rmu.Lock()
	// One callback for the connection's life: parking allocates nothing.
	c.wake = func() {
		if c.br == nil {
			c.br = c.newReader()
		}
		c.rmu.Unlock()
		c.serve(handle, done)
	}
	c.park(done)
}

// serve reads messages until the connection ends or, when watched, until
// none is buffered: then it parks the connection and returns.
func (c *Conn) serve(handle func(MessageType, []byte) error, done func(error)) {
	c.rmu.Lock()
	if c.msg == nil {
		c.msg = messages.Get().(*[]byte)
	}
	for {
		typ, msg, err := c.readLocked(*c.msg)
		*c.msg = msg
		if err == errIdle {
			c.park(done)
			return
		}
		if err == nil {
			if err = handle(typ, msg); err != nil {
				c.rmu.Unlock()
				c.Close(1011, "")
				done(err)
				return
			}
		}
		if err != nil {
			c.putMessage()
			c.rmu.Unlock()
			done(err)
			return
		}
		if c.watched != nil && c.br.Buffered() == 0 {
			c.park(done)
			return
		}
	}
}

// park gives the buffers back and arms the server's callback; the reader
// lock stays held while parked, so Close waits for the reader's end
// rather than reading itself.
func (c *Conn) putMessage() {
	if c.msg == nil {
		return
	}
	if cap(*c.msg) <= maxKeptBuffer {
		*c.msg = (*c.msg)[:0]
		messages.Put(c.msg)
	}
	c.msg = nil
}

func (c *Conn) park(done func(error)) {
	if c.rest.Len() == 0 {
		c.br.Reset(nil)
		readers.Put(c.br)
		c.br = nil
	}
	c.putMessage()
	if err := c.watched.Watch(c.wake); err != nil {
		c.rmu.Unlock()
		done(err)
	}
}
