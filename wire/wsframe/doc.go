// Package wsframe is Brick's WebSocket codec (RFC 6455): frame heads,
// masking, close payloads, UTF-8 validation across fragments, and the
// Sec-WebSocket-Extensions header with permessage-deflate negotiation
// (RFC 7692). Like package wire it does no I/O and knows no clock: parsers
// take a []byte and return the bytes consumed, or ErrNeedMore when the
// input ends before a complete element, so results never depend on how the
// input was split into reads, and the codec can serve a goroutine per
// connection, an event loop or a fuzzer alike.
//
// # Why our own codec and not github.com/gobwas/ws
//
// gobwas/ws is low-level and works on raw connections, but its frame
// reader is built on io.Reader and its handshake on net/http-like
// plumbing; Brick's style (STYLE.md, "The wire package is pure") wants a
// parser on []byte with ErrNeedMore that we fuzz against split inputs, and
// the frame format is small: a head of 2 to 14 bytes, a mask, and a handful
// of rules. Owning it keeps one error model — every violation is an *Error
// carrying the close code to send (1002 protocol error, 1007 invalid text,
// 1009 too big) — and keeps the package free of net, time and os, which
// layering_test.go enforces.
//
// # What the parser enforces (RFC 6455 §5)
//
//   - reserved bits must be zero unless an extension claimed them (§5.2):
//     1002;
//   - opcodes 3–7 and 11–15 are reserved (§5.2): 1002;
//   - control frames carry at most 125 bytes and are never fragmented
//     (§5.5): 1002;
//   - the payload length uses the shortest form and a 64-bit length has
//     its top bit clear (§5.2): 1002;
//   - frames from a client are masked, frames from a server are not
//     (§5.1): 1002 (the side is the parser's Server flag);
//   - close codes are those §7.4 allows on the wire, the reason valid
//     UTF-8 (§5.5.1): 1002 / 1007.
//
// Fragmentation rules that span frames (a continuation with no message
// started, a new data frame inside a message) and message size limits are
// checked by the caller with the Header it gets back, because they depend
// on state the connection holds.
package wsframe
