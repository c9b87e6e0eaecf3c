// Package wire is Brick's HTTP/1.1 codec: bytes in, structs out.
//
// It parses request heads (RFC 9112 §2–§5), decides how the request body is
// framed (RFC 9112 §6), decodes chunked bodies (RFC 9112 §7) and serializes
// response heads and chunks. It does no I/O: every parser takes a []byte and
// reports how many bytes it consumed, and ErrNeedMore when the input ends
// before a complete element. That keeps the codec usable from an event loop,
// from a goroutine per connection and from a fuzzer alike, and makes results
// independent of how the input was split into reads.
//
// A RequestParser fills a RequestHead, which is data only and a view: its
// byte slices point into the caller's buffer and stay valid only while that
// buffer is left untouched. This is what lets a plain GET on a kept-alive
// connection be parsed without allocating.
//
// Every rejection is an *Error carrying the HTTP status to answer with and a
// fixed reason that never echoes the input.
//
// The parser is strict where two parsers disagreeing could let a request be
// smuggled, and it is tested against net/http (fuzz_test.go) for that. It
// refuses what net/http lets through: Transfer-Encoding with Content-Length
// or in HTTP/1.0, obs-fold, fragments, userinfo and non-ASCII bytes in the
// target, hosts outside the RFC 3986 grammar, and expectations other than
// 100-continue. It accepts, as RFC 9110 and 9112 allow, a few things
// net/http refuses: a few empty lines before the request-line, a list of
// equal Content-Length values, and empty elements in Transfer-Encoding and
// Expect lists.
package wire
