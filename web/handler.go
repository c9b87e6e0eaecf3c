package web

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"

	"github.com/brick-server/brick/wire"
)

// Handler answers one request.
type Handler interface {
	ServeHTTP(w ResponseWriter, r *Request) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(w ResponseWriter, r *Request) error

// ServeHTTP calls f(w, r).
func (f HandlerFunc) ServeHTTP(w ResponseWriter, r *Request) error { return f(w, r) }

// Request is a request as a handler sees it: the parsed head (a view over
// the connection's read buffer), the body and the peer's addresses. See the
// package documentation for its lifetime. It holds the head's data only:
// parsing is the server's, with a wire.RequestParser no handler can reach.
type Request struct {
	wire.RequestHead
	// Body reads the request body and returns io.EOF at its end; it is
	// never nil. Reading it may block until the client sends more, and the
	// first read sends "100 Continue" when the client asked for it.
	Body io.Reader
	// RemoteAddr and LocalAddr are the connection's addresses; they are
	// zero for connections that are not TCP.
	RemoteAddr netip.AddrPort
	LocalAddr  netip.AddrPort
	// TLS is the connection's TLS state (version, cipher, SNI name, ALPN
	// protocol); nil over plain HTTP. The requests of a connection share
	// it: do not modify it.
	TLS *tls.ConnectionState
	// Site and Route name what a router matched the request to, for the
	// server's Observer (access log, metrics), as net/http's
	// Request.Pattern does; empty when no router matched it. The router
	// sets them to strings it owns, so recording them allocates nothing.
	Site, Route string

	ctx context.Context
}

// Context returns the request's context: the server's base context, which
// is cancelled when the server shuts down hard.
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// WithContext returns a shallow copy of r with its context changed to
// ctx, as net/http's does; the copy shares r's head and body and has r's
// lifetime. It allocates: middleware that changes the context for the
// handlers it calls and restores it before returning uses SetContext.
func (r *Request) WithContext(ctx context.Context) *Request {
	if ctx == nil {
		panic("web: nil context")
	}
	c := new(Request)
	*c = *r
	c.ctx = ctx
	return c
}

// SetContext changes r's context in place, without allocating: the server
// sets each request's context with it, and middleware that sets a deadline
// for the handlers it calls restores the old one before returning. Unlike
// WithContext it changes the request every other holder of r sees.
func (r *Request) SetContext(ctx context.Context) { r.ctx = ctx }

// Clone returns a copy of r's head that shares no memory with the
// connection and stays valid after the handler returns. The clone has an
// empty Body: a body can be read only once, by the handler.
func (r *Request) Clone() *Request {
	c := &Request{RemoteAddr: r.RemoteAddr, LocalAddr: r.LocalAddr, TLS: r.TLS, Site: r.Site, Route: r.Route, ctx: r.ctx, Body: eofReader{}}
	w := &r.RequestHead
	n := len(w.Method) + len(w.Target) + len(w.Proto) + len(w.Host)
	arena := make([]byte, 0, n)
	cp := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		start := len(arena)
		arena = append(arena, b...)
		return arena[start:len(arena):len(arena)]
	}
	c.RequestHead = wire.RequestHead{
		Method: cp(w.Method), Target: cp(w.Target), Form: w.Form, Proto: cp(w.Proto),
		Major: w.Major, Minor: w.Minor, Host: cp(w.Host), ContentLength: w.ContentLength,
		Chunked: w.Chunked, Close: w.Close, Expect100: w.Expect100,
	}
	// Path and Query are slices of Target (or the shared "/" for an
	// absolute-form target without a path); re-slice them from the copy.
	c.Path, c.Query = reslice(w.Target, c.Target, w.Path), reslice(w.Target, c.Target, w.Query)
	c.Header = w.Header.Clone()
	return c
}

// reslice maps sub, a slice of orig, to the same range of cp; a sub that is
// not inside orig is copied. Both slices of one buffer share its end, so
// the difference of their capacities is sub's offset in orig.
func reslice(orig, cp, sub []byte) []byte {
	if sub == nil {
		return nil
	}
	if len(sub) == 0 {
		return cp[:0:0]
	}
	off := cap(orig) - cap(sub)
	if off >= 0 && off+len(sub) <= len(orig) && &orig[off] == &sub[0] {
		return cp[off : off+len(sub) : off+len(sub)]
	}
	return append([]byte(nil), sub...)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// NoBody is the Body of a request without one.
var NoBody io.Reader = eofReader{}

// ResponseWriter is how a handler answers. Header fields are set before the
// first Write or WriteHeader; after that they are ignored. When the handler
// returns without having flushed, the whole body is known and the server
// sends it with a Content-Length.
type ResponseWriter interface {
	// Header returns the response header fields to set. Content-Length set
	// here is honoured (writing more is an error), and "Connection: close"
	// closes the connection after the response; otherwise Connection and
	// Transfer-Encoding are the server's to decide.
	Header() *wire.Header
	// WriteHeader sets the status code; without it the status is 200. A
	// 1xx code other than 101 sends an informational response at once.
	// Any three-digit code (100–999) is sent as given, as net/http does;
	// a code outside that range is a programming error and panics.
	WriteHeader(status int)
	// Write appends body bytes.
	Write(p []byte) (int, error)
	// WriteString appends body bytes without converting s.
	WriteString(s string) (int, error)
}

// Flusher is implemented by writers that can send what was written so far.
type Flusher interface {
	Flush() error
}

// Hijacker is implemented by writers that can hand over the connection.
// After Hijack the server no longer reads, writes or closes it.
type Hijacker interface {
	Hijack() (net.Conn, *bufio.ReadWriter, error)
}

// ReasonSetter is implemented by writers that can send a reason phrase
// other than the standard one for the status ("299 Custom Reason"), which
// gateways pass on from their applications as gunicorn and uWSGI do.
// SetReason is called before WriteHeader; the writer copies reason. An
// empty reason, or one that is not a valid reason-phrase (RFC 9112 §4),
// means the standard phrase.
type ReasonSetter interface {
	SetReason(reason []byte)
}

// SetReason sets the reason phrase of w's final response through the
// first ReasonSetter on w's Unwrap chain, and reports whether one was
// found; without one the standard phrase goes out.
func SetReason(w ResponseWriter, reason []byte) bool {
	for {
		switch t := w.(type) {
		case ReasonSetter:
			t.SetReason(reason)
			return true
		case Unwrapper:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

// GoneChecker is implemented by writers that can tell, without waiting
// or reading, whether the client closed its side of the connection (or
// reset it): a gateway that queued the request asks before it hands the
// request to a backend, as nginx does before it answers 499.
type GoneChecker interface {
	ClientGone() bool
}

// ClientGone reports whether the client of w's connection left, through
// the first GoneChecker on w's Unwrap chain; false when none can tell. A
// client that half-closed after sending its request counts as gone, as
// it does for nginx, and so does a TLS client that sent close_notify.
// Call it from the goroutine serving the request, as Brick's gateways do:
// over TLS the server reads the records that have arrived to tell.
func ClientGone(w ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case GoneChecker:
			return t.ClientGone()
		case Unwrapper:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

// Unwrapper is implemented by wrapping writers, so Flush and Hijack can
// find the abilities of the writer they wrap.
type Unwrapper interface {
	Unwrap() ResponseWriter
}

// ErrNotSupported is returned by Flush and Hijack when no writer in the
// chain has the ability.
var ErrNotSupported = errors.New("web: not supported by this ResponseWriter")

// Flush sends what w has buffered, walking w's Unwrap chain.
func Flush(w ResponseWriter) error {
	for {
		switch t := w.(type) {
		case Flusher:
			return t.Flush()
		case Unwrapper:
			w = t.Unwrap()
		default:
			return ErrNotSupported
		}
	}
}

// Hijack takes over w's connection, walking w's Unwrap chain.
func Hijack(w ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
	for {
		switch t := w.(type) {
		case Hijacker:
			return t.Hijack()
		case Unwrapper:
			w = t.Unwrap()
		default:
			return nil, nil, ErrNotSupported
		}
	}
}
