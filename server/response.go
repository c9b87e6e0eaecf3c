package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Errors a handler can get from writing.
var (
	// ErrBodyNotAllowed: the status has no response body.
	ErrBodyNotAllowed = web.ErrBodyNotAllowed
	// ErrContentLength: more bytes than the declared Content-Length.
	ErrContentLength = web.ErrContentLength
	// ErrHijacked: the connection was hijacked.
	ErrHijacked = errors.New("server: connection hijacked")
)

// response is the web.ResponseWriter of an exchange. Until the head is
// committed, body bytes wait in exchange.pending; when the handler returns
// without flushing, the whole body is known and goes out with a
// Content-Length. A flush or a large body commits the head early and
// streams the rest chunked (HTTP/1.1) or until close (HTTP/1.0).
type response struct {
	x      *exchange
	header wire.Header

	status      int
	wroteHeader bool
	committed   bool // the head is in x.out or on the wire
	onWire      bool // part of this response has been written to the socket
	chunked     bool
	isHead      bool
	declared    int64 // Content-Length set by the handler, or -1
	written     int64 // body bytes the handler wrote
	closeAfter  bool
	done        bool // finish ran, or a canned response replaced this one

	start int // offset of this response in x.out while not on the wire

	reason []byte // the handler's reason phrase (SetReason); empty: standard

	traceHead []byte // a copy of the head, when tracing
	traceBody []byte // the first bytes of the body, when tracing
}

var _ web.ResponseWriter = (*response)(nil)
var _ web.Flusher = (*response)(nil)
var _ web.Hijacker = (*response)(nil)
var _ web.ReasonSetter = (*response)(nil)
var _ web.GoneChecker = (*response)(nil)

func (r *response) init(x *exchange, closeAfter bool) {
	h := r.header
	h.Reset()
	tb, tbody, reason := r.traceHead[:0], r.traceBody[:0], r.reason[:0]
	*r = response{x: x, header: h, status: 200, declared: -1, closeAfter: closeAfter,
		isHead: string(x.req.Method) == "HEAD", start: len(x.out), traceHead: tb, traceBody: tbody, reason: reason}
	// Writes never fill pending past pendingMax, but append may have given
	// it more room: an exchange lives as long as its worker (or its
	// connection), so it keeps no more than it needs.
	if cap(x.pending) > pendingMax {
		x.pending = nil
	}
	x.pending = x.pending[:0]
}

// started reports whether any of the response left the server's control.
func (r *response) started() bool { return r.onWire }

// flushed notes that x.out was written out.
func (r *response) flushed() {
	if r.committed {
		r.onWire = true
	}
	r.start = 0
}

// discard drops what the handler produced so far, when it is still ours.
func (r *response) discard() {
	if !r.onWire && r.x.out != nil {
		r.x.out = r.x.out[:r.start]
	}
	r.x.pending = r.x.pending[:0]
	r.committed = r.onWire
	if !r.committed {
		// What replaces the response is the server's own answer, whose
		// status the handler's reason phrase does not describe.
		r.reason = r.reason[:0]
	}
}

// Header returns the response header fields.
func (r *response) Header() *wire.Header { return &r.header }

// WriteHeader sets the status, or sends an informational 1xx response.
func (r *response) WriteHeader(status int) {
	if r.wroteHeader || r.done {
		return
	}
	if status < 100 || status > 999 {
		// As net/http: any three-digit code is a status (RFC 9112 §4).
		panic("server: invalid WriteHeader status code")
	}
	if status < 200 && status != 101 {
		x := r.x
		if x.req.Minor == 0 {
			return // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client
		}
		if status == 100 {
			x.body.continueSent = true
		}
		x.out = wire.AppendResponseHead(x.out, &wire.ResponseHead{Status: status, Header: &r.header, ContentLength: -1})
		// An interim response goes out now, as net/http's does: early
		// hints that wait for the final response are worth nothing. A
		// failed write is kept in x.writeErr for the handler's next Write.
		x.flush()
		r.start = len(x.out)
		return
	}
	r.status, r.wroteHeader = status, true
	if v := r.header.Get("Content-Length"); v != nil {
		if n, ok := wire.ParseDecimal(v); ok {
			r.declared = n
		}
	}
}

// SetReason sets the reason phrase of the final response, copied into a
// buffer the response keeps, so that it costs no allocation once warm.
// It has no effect once the head is committed.
func (r *response) SetReason(reason []byte) {
	if r.committed || r.done {
		return
	}
	r.reason = append(r.reason[:0], reason...)
}

// ClientGone reports whether the client closed or reset its connection,
// without waiting (web.ClientGone).
func (r *response) ClientGone() bool {
	if r.done {
		return false
	}
	return r.x.c.t.peerGone()
}

// wantsClose reports whether a Connection field value a handler set lists
// "close" (RFC 9112 §9.6), which net/http handlers use to end a connection.
func wantsClose(v []byte) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		if i < 0 {
			i = len(v)
		}
		if wire.EqualFold(bytes.TrimSpace(v[:i]), "close") {
			return true
		}
		v = v[min(i+1, len(v)):]
	}
	return false
}

// Write appends body bytes.
func (r *response) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	if r.done {
		return 0, ErrHijacked
	}
	if r.x.writeErr != nil {
		return 0, r.x.writeErr
	}
	if !wire.BodyAllowed(r.status) {
		return 0, ErrBodyNotAllowed
	}
	n := len(p)
	var err error
	if r.declared >= 0 && r.written+int64(n) > r.declared {
		n = int(r.declared - r.written)
		err = ErrContentLength
	}
	r.written += int64(n)
	if r.x.c.srv.trace != nil && len(r.traceBody) < traceBodyMax {
		r.traceBody = append(r.traceBody, p[:min(n, traceBodyMax-len(r.traceBody))]...)
	}
	if r.isHead || n == 0 {
		return n, err
	}
	x := r.x
	if !r.committed {
		if len(x.pending)+n <= pendingMax {
			x.pending = append(x.pending, p[:n]...)
			return n, err
		}
		// Too much to hold back: the head goes out with what is pending.
		r.commit(false)
	}
	if ferr := r.writeBody(p[:n]); ferr != nil {
		return n, ferr
	}
	return n, err
}

// writeBody adds body bytes behind the committed head. They are gathered
// in x.out up to flushAt; bytes that would take it past flushAt are written
// at once together with what is gathered, in one writev, instead of being
// copied, as bufio.Writer passes large writes through: the output buffer
// never grows to the size of a write, and nothing of that size is kept.
func (r *response) writeBody(p []byte) error {
	x := r.x
	frame := 0
	if r.chunked {
		frame = 20 // size line and CRLF
	}
	if len(x.out)+len(p)+frame < flushAt {
		if r.chunked {
			x.out = wire.AppendChunk(x.out, p)
		} else {
			x.out = append(x.out, p...)
		}
		return nil
	}
	if r.chunked {
		x.out = wire.AppendChunkHeader(x.out, len(p))
	}
	err := x.flushWith(p)
	if r.chunked {
		x.out = append(x.out, '\r', '\n')
	}
	return err
}

// WriteString appends body bytes without converting s.
func (r *response) WriteString(s string) (int, error) {
	// The conversion does not escape (Write copies), so it does not allocate.
	return r.Write([]byte(s))
}

// commit appends the head, choosing the framing (RFC 9112 §6.3): a known
// length when the body is complete or declared, else chunked for HTTP/1.1
// and close-delimited for HTTP/1.0.
func (r *response) commit(final bool) {
	x := r.x
	c := x.c
	req := &x.req
	rh := wire.ResponseHead{Status: r.status, Reason: r.reason, Header: &r.header, Date: c.srv.clock.Date(), ContentLength: -1}
	switch {
	case !wire.BodyAllowed(r.status):
	case r.declared >= 0:
		rh.ContentLength = r.declared
		if final && r.written < r.declared && !r.isHead {
			// The handler declared more than it wrote: only closing
			// tells the client the body is incomplete.
			r.closeAfter = true
		}
	case final:
		rh.ContentLength = r.written
		if r.isHead && r.written == 0 {
			rh.ContentLength = -1
		}
	case r.isHead:
	case req.Minor >= 1:
		rh.Chunked, r.chunked = true, true
	default:
		r.closeAfter = true
	}
	if b := &x.body; b.needCont && !b.continueSent && !b.eof {
		// RFC 9110 §10.1.1: the final response goes out before the client
		// was asked for the body. A 100 Continue would now land inside
		// this response, and the client may send the body or not, so the
		// connection cannot be reused.
		b.needCont = false
		r.closeAfter = true
	}
	if c.srv.shutting.Load() || wantsClose(r.header.Get("Connection")) {
		r.closeAfter = true
	}
	if req.Minor == 0 && !r.closeAfter {
		rh.KeepAlive = true
	}
	rh.Close = r.closeAfter
	start := len(x.out)
	x.out = wire.AppendResponseHead(x.out, &rh)
	if c.srv.trace != nil {
		r.traceHead = append(r.traceHead[:0], x.out[start:]...)
	}
	r.committed = true
	if len(x.pending) > 0 {
		if r.chunked {
			x.out = wire.AppendChunk(x.out, x.pending)
		} else {
			x.out = append(x.out, x.pending...)
		}
		x.pending = x.pending[:0]
	}
}

// finish completes the response after the handler returned.
func (r *response) finish() {
	if r.done {
		return
	}
	r.done = true
	if !r.committed {
		r.commit(true)
		return
	}
	if r.chunked {
		r.x.out = append(r.x.out, wire.LastChunk...)
	}
	if r.declared >= 0 && r.written < r.declared && !r.isHead && wire.BodyAllowed(r.status) {
		// The body is shorter than announced: only closing tells the
		// client it is incomplete.
		r.closeAfter = true
	}
}

// Flush sends the head and what was written so far.
func (r *response) Flush() error {
	if r.done {
		return ErrHijacked
	}
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	if !r.committed {
		r.commit(false)
	}
	return r.x.flush()
}

// Hijack hands the connection to the handler. Bytes the client sent beyond
// the request head are in the returned reader.
func (r *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	var nc net.Conn
	rest, err := r.takeOver(func() (err error) {
		nc, err = r.x.c.t.hijack()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var rd io.Reader = nc
	if len(rest) > 0 {
		rd = io.MultiReader(bytes.NewReader(rest), nc)
	}
	return nc, bufio.NewReadWriter(bufio.NewReader(rd), bufio.NewWriter(nc)), nil
}

// HijackWatched hands the connection over while its loop keeps watching
// it (web.WatchHijacker): only connections of the epoll engine can, plain
// or TLS.
func (r *response) HijackWatched() (web.WatchedConn, []byte, error) {
	w, ok := watchable(r.x.c.t)
	if !ok {
		return nil, nil, web.ErrNotSupported
	}
	var wc web.WatchedConn
	rest, err := r.takeOver(func() (err error) {
		wc, err = w.watch()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return wc, rest, nil
}

// takeOver runs take, which detaches the transport, and ends the
// server's use of the connection; it returns a copy of the bytes read
// beyond the request head.
func (r *response) takeOver(take func() error) ([]byte, error) {
	x := r.x
	c := x.c
	if r.committed || r.done {
		return nil, errors.New("server: cannot hijack after the response started")
	}
	x.out = x.out[:r.start]
	if err := x.flush(); err != nil {
		return nil, err
	}
	if err := take(); err != nil {
		return nil, err
	}
	var rest []byte
	if c.r < c.w {
		rest = append([]byte(nil), c.buf[c.r:c.w]...)
	}
	x.hijacked, r.done = true, true
	x.body.active = false
	c.closed = true
	// The request's views still point into the read buffer, so it goes to
	// the garbage collector rather than back to the pool.
	c.buf, c.r, c.w = nil, 0, 0
	c.releaseBuffers()
	c.srv.release()
	return rest, nil
}
