package nethttp

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire"
)

// Handler returns a web.Handler that serves h.
func Handler(h http.Handler) web.Handler {
	return &adapter{h: h}
}

type adapter struct{ h http.Handler }

// ServeHTTP runs the net/http handler on a request of its own.
func (a *adapter) ServeHTTP(w web.ResponseWriter, r *web.Request) (err error) {
	req, err := newRequest(r)
	if err != nil {
		return web.Error(http.StatusBadRequest, err)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, net.TCPAddrFromAddrPort(r.LocalAddr))
	req = req.WithContext(ctx)
	rw := &responseWriter{w: w, req: req, header: make(http.Header)}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(web.ErrAbortHandler)
			}
			panic(v)
		}
	}()
	h := a.h
	if req.RequestURI == "*" && req.Method == http.MethodOptions {
		// net/http's Server answers "OPTIONS *" itself rather than passing
		// it to a handler that cannot route it (a ServeMux answers 400).
		h = http.HandlerFunc(optionsAsterisk)
	}
	h.ServeHTTP(rw, req)
	if rw.hijacked {
		return nil
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	rw.copyTrailers()
	return nil
}

// copyTrailers hands the server the trailer fields the handler set after
// writing, as net/http's handlers declare them: named in "Trailer", or
// keyed with http.TrailerPrefix. A server that sends trailers (HTTP/2)
// reads the names from the response's "Trailer" field when it finishes.
func (rw *responseWriter) copyTrailers() {
	h := rw.w.Header()
	for _, v := range rw.header["Trailer"] {
		for _, name := range strings.Split(v, ",") {
			name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
			if vals, ok := rw.header[name]; ok && name != "" {
				h.Del(name)
				for _, val := range vals {
					h.Add(name, val)
				}
			}
		}
	}
	for k, vals := range rw.header {
		name, ok := strings.CutPrefix(k, http.TrailerPrefix)
		if !ok {
			continue
		}
		h.Add("Trailer", name)
		h.Del(name)
		for _, val := range vals {
			h.Add(name, val)
		}
	}
}

// optionsAsterisk answers "OPTIONS *" as net/http's Server does: 200 with
// an empty body.
func optionsAsterisk(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "0")
	if r.ContentLength != 0 {
		// A body would have to be read to reuse the connection; as
		// net/http does, read a little of it and let the server decide.
		io.CopyN(io.Discard, r.Body, 4<<10)
	}
}

// responseWriter is the http.ResponseWriter over a web.ResponseWriter.
type responseWriter struct {
	w           web.ResponseWriter
	req         *http.Request
	header      http.Header
	wroteHeader bool
	status      int
	hijacked    bool
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
	_ http.Hijacker       = (*responseWriter)(nil)
)

// Header returns the header map of the response.
func (rw *responseWriter) Header() http.Header { return rw.header }

// WriteHeader copies the header map to the response and sets the status.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.wroteHeader || rw.hijacked {
		return
	}
	if code < 100 || code > 999 {
		panic("nethttp: invalid WriteHeader code")
	}
	h := rw.w.Header()
	h.Reset()
	for k, vs := range rw.header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		rw.w.WriteHeader(code)
		return
	}
	rw.wroteHeader, rw.status = true, code
	rw.w.WriteHeader(code)
}

// Write writes body bytes, sniffing a Content-Type when none was set.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.hijacked {
		return 0, http.ErrHijacked
	}
	if !rw.wroteHeader {
		if _, ok := rw.header["Content-Type"]; !ok && rw.header.Get("Transfer-Encoding") == "" && len(p) > 0 {
			rw.header.Set("Content-Type", http.DetectContentType(p))
		}
		rw.WriteHeader(http.StatusOK)
	}
	return netHTTPError(rw.w.Write(p))
}

// netHTTPError turns Brick's write errors into net/http's own values,
// which handlers compare with.
func netHTTPError(n int, err error) (int, error) {
	switch err {
	case web.ErrBodyNotAllowed:
		err = http.ErrBodyNotAllowed
	case web.ErrContentLength:
		err = http.ErrContentLength
	}
	return n, err
}

// WriteString writes body bytes.
func (rw *responseWriter) WriteString(s string) (int, error) {
	if !rw.wroteHeader || rw.hijacked {
		return rw.Write([]byte(s))
	}
	return netHTTPError(rw.w.WriteString(s))
}

// Flush sends what was written so far.
func (rw *responseWriter) Flush() { rw.FlushError() }

// FlushError is Flush reporting failure; http.ResponseController uses it.
func (rw *responseWriter) FlushError() error {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	return web.Flush(rw.w)
}

// Hijack hands the connection to the handler. After WriteHeader (and
// before any body byte), the head goes out first, as net/http's Hijack
// flushes it: that is how coder/websocket sends its 101 Switching
// Protocols (WriteHeader(101), then Hijack).
//
// A WebSocket handshake's connection is counted with the process's
// WebSockets (websocket.TrackForeign), so that a binary upgrade keeps it
// for ws_grace and then sends it a 1001 close frame, as it does for
// Brick's own WebSockets; other hijacked connections end with the
// process.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := web.Hijack(rw.w)
	if err != nil {
		return nil, nil, err
	}
	rw.hijacked = true
	if rw.wroteHeader {
		head := wire.AppendResponseHead(nil, &wire.ResponseHead{Status: rw.status, Header: rw.w.Header(), ContentLength: -1})
		if _, err := c.Write(head); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	if !upgradesToWebSocket(rw.req) || rw.wroteHeader && rw.status != http.StatusSwitchingProtocols {
		return c, brw, nil
	}
	f := websocket.ForeignHandshake // gorilla writes its 101 itself
	if rw.wroteHeader {
		f = websocket.ForeignFrames
	}
	tc := websocket.TrackForeign(c, f)
	// Writes through brw must pass the tracked connection too
	// (coder/websocket writes there); nothing is buffered in it yet.
	if err := brw.Writer.Flush(); err != nil {
		tc.Close()
		return nil, nil, err
	}
	brw.Writer.Reset(tc)
	return tc, brw, nil
}

// upgradesToWebSocket reports whether r asks for a WebSocket (RFC 6455
// §4.1: "Upgrade: websocket" among its tokens).
func upgradesToWebSocket(r *http.Request) bool {
	for _, v := range r.Header["Upgrade"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}
