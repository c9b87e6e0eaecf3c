package h2

import (
	"bytes"
	"errors"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// response is a stream's web.ResponseWriter. As over HTTP/1.1, body bytes
// are held back until pendingMax so that a response complete when its
// handler returns goes out with a content-length, in one HEADERS and one
// DATA frame, written together. After the head, bytes gather up to a
// frame before going out, unless the handler flushes.
type response struct {
	st     *stream
	header wire.Header

	status      int
	wroteHeader bool
	headerSent  bool
	done        bool
	ended       bool // END_STREAM went out with the body (SendFile)
	isHead      bool
	declared    int64 // content-length the handler set, or -1
	written     int64 // body bytes the handler wrote
	pending     []byte

	traceBody []byte // the first body bytes, when tracing
}

// pendingMax is how much body is held back to compute content-length.
const pendingMax = 32 << 10

var (
	_ web.ResponseWriter = (*response)(nil)
	_ web.Flusher        = (*response)(nil)
	_ web.GoneChecker    = (*response)(nil)
)

// ClientGone reports whether the client reset the stream or closed the
// connection (web.ClientGone): a gateway that queued the request then
// answers web.ErrClientGone, logged as 499.
func (r *response) ClientGone() bool { return r.st.clientGone() }

// errDone is a write after the response ended.
var errDone = errors.New("h2: write after the response ended")

func (r *response) init(st *stream) {
	h, pending := r.header, r.pending[:0]
	h.Reset()
	*r = response{st: st, header: h, pending: pending, status: 200, declared: -1, isHead: string(st.req.Method) == "HEAD"}
}

// Header returns the response header fields.
func (r *response) Header() *wire.Header { return &r.header }

// WriteHeader sets the status, or sends an informational response.
func (r *response) WriteHeader(status int) {
	if r.wroteHeader || r.done {
		return
	}
	if status < 100 || status > 999 {
		panic("h2: invalid WriteHeader status code")
	}
	if status < 200 {
		if status == 101 {
			return // no protocol switch over HTTP/2 (RFC 9113 §8.6)
		}
		if status == 100 {
			r.st.body.continueSent = true
		}
		r.writeInterim(status)
		return
	}
	r.status, r.wroteHeader = status, true
	if v := r.header.Get("Content-Length"); v != nil {
		if n, ok := wire.ParseDecimal(v); ok {
			r.declared = n
		}
	}
}

// writeInterim sends a 1xx response at once, with the fields set so far
// (103 Early Hints carries its Link fields).
func (r *response) writeInterim(status int) {
	r.st.sendHeaders(&r.header, headerSpec{status: status, contentLength: -1}, false)
}

// Write appends body bytes.
func (r *response) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	if r.done {
		return 0, errDone
	}
	if !wire.BodyAllowed(r.status) {
		return 0, web.ErrBodyNotAllowed
	}
	n := len(p)
	var err error
	if r.declared >= 0 && r.written+int64(n) > r.declared {
		n = int(r.declared - r.written)
		err = web.ErrContentLength
	}
	r.written += int64(n)
	if r.st.c.cfg.Trace != nil && len(r.traceBody) < traceBodyMax {
		r.traceBody = append(r.traceBody, p[:min(n, traceBodyMax-len(r.traceBody))]...)
	}
	if r.isHead || n == 0 {
		return n, err
	}
	limit := pendingMax
	if r.headerSent {
		limit = r.st.c.maxData()
	}
	if len(r.pending)+n <= limit {
		r.pending = append(r.pending, p[:n]...)
		return n, err
	}
	if !r.headerSent {
		if werr := r.sendHead(false); werr != nil {
			return 0, werr
		}
	}
	// Whole frames go out; what is left stays pending for the next
	// write, so that a handler writing in pieces that are not multiples of
	// a frame sends no runt frames between them.
	limit = r.st.c.maxData()
	q := p[:n]
	if len(r.pending) > 0 {
		k := min(max(limit-len(r.pending), 0), len(q))
		r.pending = append(r.pending, q[:k]...)
		q = q[k:]
		if werr := r.st.sendData(r.pending, false); werr != nil {
			return 0, werr
		}
		r.pending = r.pending[:0]
	}
	full := len(q) - len(q)%limit
	if werr := r.st.sendData(q[:full], false); werr != nil {
		return 0, werr
	}
	r.pending = append(r.pending, q[full:]...)
	return n, err
}

// WriteString appends body bytes.
func (r *response) WriteString(s string) (int, error) { return r.Write([]byte(s)) }

// Flush sends the head and the body written so far.
func (r *response) Flush() error {
	if r.done {
		return errDone
	}
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	if !r.headerSent {
		if err := r.sendHead(false); err != nil {
			return err
		}
	}
	err := r.st.sendData(r.pending, false)
	r.pending = r.pending[:0]
	if err != nil {
		return err
	}
	return r.st.c.writeFramesNow(func() error { return nil })
}

// sendHead sends the response head. With final set the body is complete
// (pending) and its length goes in content-length.
func (r *response) sendHead(final bool) error {
	spec := r.headSpec(final)
	end := final && len(r.pending) == 0 && r.trailerNames() == nil
	r.headerSent = true
	return r.st.sendHeaders(&r.header, spec, end)
}

// headSpec describes the response head; see sendHead.
func (r *response) headSpec(final bool) headerSpec {
	spec := headerSpec{status: r.status, contentLength: -1, date: true}
	switch {
	case !wire.BodyAllowed(r.status):
	case r.declared >= 0:
	case final && (!r.isHead || r.written > 0):
		spec.contentLength = r.written
	}
	return spec
}

// finish completes the response after the handler returned: the head if
// not sent, the rest of the body, and trailers if the handler declared
// some (fields named in "Trailer", set by the time it returned).
func (r *response) finish() {
	if r.done {
		return
	}
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	r.done = true
	if r.ended {
		return
	}
	st := r.st
	trailers := r.trailerNames()
	if !r.headerSent {
		if err := r.sendHead(true); err != nil {
			return
		}
		if len(r.pending) == 0 && trailers == nil {
			return
		}
	}
	if err := st.sendData(r.pending, trailers == nil); err != nil {
		return
	}
	r.pending = r.pending[:0]
	if trailers != nil {
		st.sendHeaders(&r.header, headerSpec{trailers: trailers, contentLength: -1}, true)
	}
}

// trailerNames returns the names the "Trailer" field declares, or nil.
func (r *response) trailerNames() []string {
	var names []string
	for _, f := range r.header.Fields() {
		if !wire.EqualFold(f.Name, "Trailer") {
			continue
		}
		for _, n := range bytes.Split(f.Value, []byte(",")) {
			if n = bytes.TrimSpace(n); len(n) > 0 {
				names = append(names, string(n))
			}
		}
	}
	return names
}

// discard drops what the handler wrote and not yet sent.
func (r *response) discard() {
	r.pending = r.pending[:0]
	r.written = 0
	r.done = false
}

// bodyBytes is what the Observer counts: none for HEAD or a bodiless status.
func (r *response) bodyBytes() int64 {
	if r.isHead || !wire.BodyAllowed(r.status) {
		return 0
	}
	return r.written
}

// markLocalDone notes END_STREAM sent; it runs under the write lock, as
// the frame is written, so the stream is closed before the client can
// hear of it. A stream whose client had ended its
// side is closed from now on (RFC 9113 §5.1): frames on it are errors
// even while its handler's goroutine is still winding down.
func (st *stream) markLocalDone() {
	c := st.c
	c.mu.Lock()
	if st.remoteDone && c.streams[st.id] == st {
		delete(c.streams, st.id)
	}
	c.mu.Unlock()
}

func statusText(status int) string {
	if t := wire.StatusText(status); t != "" {
		return t
	}
	return "error"
}
