package web

import (
	"net"
)

// WatchedConn is a connection taken over from the server that the server
// keeps watching for readability: a protocol that goes idle between
// messages (WebSocket) arms Watch and returns, so an idle connection holds
// no goroutine, only the server's record of the descriptor.
type WatchedConn interface {
	net.Conn
	// Watch calls fn once, on a goroutine of its own, when the connection
	// has bytes to read, the peer shut it down or failed, or the server
	// stopped watching (it shut down): fn then reads as usual. Each call
	// arms one callback; Watch after Close returns net.ErrClosed.
	Watch(fn func()) error
}

// WatchHijacker is implemented by writers whose server can keep watching
// a connection it hands over (Brick's epoll engine).
type WatchHijacker interface {
	// HijackWatched is Hijack for a connection the server keeps watching;
	// rest is what the client sent after the request head.
	HijackWatched() (c WatchedConn, rest []byte, err error)
}

// HijackWatched takes over w's connection while its server keeps watching
// it, walking w's Unwrap chain; ErrNotSupported means the server cannot
// (a goroutine per connection), and the caller hijacks with Hijack. Over
// TLS the connection is the tls.Conn, and Watch also calls back at once
// for input crypto/tls has already taken from the socket.
func HijackWatched(w ResponseWriter) (WatchedConn, []byte, error) {
	for {
		switch t := w.(type) {
		case WatchHijacker:
			return t.HijackWatched()
		case Unwrapper:
			w = t.Unwrap()
		default:
			return nil, nil, ErrNotSupported
		}
	}
}
