// Package websocket is the WebSocket protocol (RFC 6455) for Brick's
// handler API, with permessage-deflate (RFC 7692). The framing itself is
// package wire/wsframe, a pure codec that is fuzzed (see its doc for why
// Brick owns it rather than using gobwas/ws); this package adds the
// handshake, the connection and its timers.
//
// # Go handlers
//
// A handler upgrades with Accept and echoes, say:
//
//	func echo(w web.ResponseWriter, r *web.Request) error {
//		c, err := websocket.Accept(w, r, &websocket.Options{PingInterval: 20 * time.Second})
//		if err != nil {
//			return nil // Accept answered 400/403/405/426 itself
//		}
//		var buf []byte
//		for {
//			typ, msg, err := c.ReadMessage(buf)
//			if err != nil {
//				return nil // closed: websocket.CloseCode(err) says how
//			}
//			if err := c.WriteMessage(typ, msg); err != nil {
//				return nil
//			}
//			buf = msg
//		}
//	}
//
// net/http handlers keep using their own WebSocket libraries (gorilla,
// coder/websocket) through package nethttp, which hijacks the same way
// and counts each such connection with TrackForeign, so that Drain (a
// binary upgrade's ws_grace) keeps and then closes it with 1001 too.
// The reverse proxy, which frames nothing, counts each tunnel with a
// Relay: both directions are followed the same way (follow.go), and the
// close frame to the upstream is masked, as a client's must be.
//
// # Gateways (ASGI)
//
// A gateway that asks an application before accepting uses the steps
// separately:
//
//	h, err := websocket.Check(r)          // validate; *HandshakeError on failure
//	if err != nil { websocket.Reject(w, err); return nil }   // 400/405/426
//	// h.Subprotocols, h.Origin, h.Extensions go into the ASGI scope.
//	// The app answers websocket.accept:
//	c, err := h.Accept(w, websocket.AcceptOptions{
//		Subprotocol: "chat",                        // one the client offered
//		Header:      []wire.Field{{Name: ..., Value: ...}}, // extra fields
//	}, &websocket.Options{MaxMessageSize: 16 << 20, Compression: true})
//	// ... or websocket.close before accept: answer 403 through w like any
//	// response (ASGI says so), or websocket.http.response: any status,
//	// headers and body through w. Never call Accept then.
//
// On the Conn:
//
//   - ReadMessage(dst) (MessageType, []byte, error) returns whole text or
//     binary messages (UTF-8 checked, decompressed, at most
//     MaxMessageSize, else the connection closes with 1007/1009) and
//     answers pings on the way. When the peer closes it returns a
//     *CloseError with the peer's code and reason (websocket.disconnect);
//     CloseCode(err) gives the code for any error (1006 for a dropped
//     connection).
//   - WriteMessage(Text|Binary, p) sends one message (websocket.send); it
//     returns ErrClosed once the close frame went out, which an ASGI
//     gateway turns into the no-op ASGI 2.4 asks for.
//   - Close(code, reason) runs the closing handshake (websocket.close);
//     PeerCloseCode reports the peer's code afterwards.
//   - Serve(handle, done) instead of a ReadMessage loop: messages are
//     pushed to handle, and with Options.Watched an idle connection holds
//     no goroutine (see below).
//   - Ping, SetReadDeadline, SetWriteDeadline; Options.PingInterval keeps
//     an idle connection checked, Options.WriteTimeout bounds each write
//     so a client that never reads cannot hold a writer forever.
//
// One goroutine reads while any others write; writes are serialized.
//
// # What an idle connection holds
//
// A connection read with ReadMessage holds the goroutine that reads (the
// handler's), the 4 KiB read buffer, a 4 KiB write buffer and the message
// buffer the caller passes back. Conn.Serve with Options.Watched holds
// none of the goroutine and read or message buffers between messages: the
// server keeps the connection in its epoll set (web.HijackWatched) and
// calls back when bytes arrive (over TLS too, input crypto/tls already
// holds included); buffers are pooled meanwhile. Servers that cannot
// watch (a goroutine per connection) fall back to a goroutine.
// TestIdleCost measures both, plain and over TLS. The keepalive timer runs a goroutine only
// when it fires; compression state is borrowed per message unless the
// client takes its context over (then at most 32 KiB of window).
package websocket
