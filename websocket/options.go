package websocket

import (
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire/wsframe"
)

// Options tunes a connection; the zero value (or nil) means the defaults
// documented on each field.
type Options struct {
	// Subprotocols are the server's, in its order of preference; Accept
	// picks the first the client offered.
	Subprotocols []string
	// CheckOrigin decides whether Accept takes a request; nil means
	// Handshake.SameOrigin.
	CheckOrigin func(r *web.Request) bool
	// MaxMessageSize bounds a message after decompression; a bigger one
	// closes the connection with 1009. Default 16 MiB (uvicorn's too).
	MaxMessageSize int64
	// Compression enables permessage-deflate (RFC 7692) when the client
	// offers it. Deflate says what the server asks for; by default both
	// sides start every message afresh (no context takeover), so an idle
	// connection keeps no compression state. Setting
	// Deflate.ClientNoContextTakeover to false lets the client keep its
	// window; the server then keeps the last 2^ClientMaxWindowBits bytes
	// of each message (at most 32 KiB).
	Compression bool
	Deflate     *wsframe.Deflate
	// CompressMin is the smallest message that is sent compressed;
	// default 128 bytes.
	CompressMin int
	// PingInterval sends a ping after that long without a frame from the
	// peer, and closes the connection (1011) when another interval passes
	// in silence. Default 0: no keepalive (ASGI servers use 20 s). Pongs
	// are seen by the reader, so keepalive needs one in ReadMessage.
	PingInterval time.Duration
	// CloseTimeout bounds the wait for the peer's close frame after Close
	// sent ours. Default 5 s.
	CloseTimeout time.Duration
	// Watched asks the server to keep watching the connection after the
	// handshake (web.HijackWatched), so that Conn.Serve holds no goroutine
	// and no read buffer between messages. Brick's epoll engine can, plain
	// or TLS; with a goroutine per connection, Serve uses a goroutine
	// instead.
	Watched bool
	// WriteTimeout bounds each write (a message, a ping, a close); a peer
	// that does not read for that long loses the connection. Default 30 s;
	// negative means none.
	WriteTimeout time.Duration
}

// options is Options with defaults filled in.
type options struct {
	Options
	Deflate wsframe.Deflate
}

func (o *Options) withDefaults() options {
	var r options
	if o != nil {
		r.Options = *o
	}
	if r.MaxMessageSize <= 0 {
		r.MaxMessageSize = 16 << 20
	}
	if r.CompressMin <= 0 {
		r.CompressMin = 128
	}
	if r.CloseTimeout <= 0 {
		r.CloseTimeout = 5 * time.Second
	}
	switch {
	case r.WriteTimeout == 0:
		r.WriteTimeout = 30 * time.Second
	case r.WriteTimeout < 0:
		r.WriteTimeout = 0
	}
	if o != nil && o.Deflate != nil {
		r.Deflate = *o.Deflate
	} else {
		r.Deflate = wsframe.Deflate{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	}
	// The server never keeps its compressor between messages: a pooled
	// one is borrowed per message instead (see deflate.go).
	r.Deflate.ServerNoContextTakeover = true
	return r
}
