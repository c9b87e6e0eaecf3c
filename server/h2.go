package server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"

	"github.com/brick-server/brick/h2"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
	"golang.org/x/net/http2"
)

// HTTP/2 (package h2) takes a connection over from the HTTP/1.1 loop in
// three ways: TLS negotiated "h2" by ALPN (tlsConn.handshake reports
// errH2), a cleartext connection began with the connection preface (h2c
// with prior knowledge), or a request without a body asked for
// "Upgrade: h2c" (RFC 7540 §3.2). The connection is handed over watched
// (web.WatchedConn, as HijackWatched does; hijacked where the engine
// cannot watch), keeps its connection slot, and is served by h2 until it
// closes: an idle one parks in its readiness loop with no goroutine, and
// the loop's callback resumes its reading. Shutdown drains it with GOAWAY.

// errH2 is tlsConn.read's report that the handshake chose HTTP/2.
var errH2 = errors.New("server: ALPN chose h2")

// h2Config is the configuration new HTTP/2 connections take (settings.go).
func (s *Server) h2Config() *h2.Config { return s.live().h2 }

// h2cEnabled reports whether cleartext connections may speak HTTP/2.
func (x *exchange) h2cEnabled() bool {
	if !x.set.h2c {
		return false
	}
	_, isTLS := x.c.t.(*tlsConn)
	return !isTLS
}

// prefaceState looks for the HTTP/2 preface at the start of a cleartext
// connection's first bytes: h2 full means it is there, partial that the
// bytes so far could still be it.
func (x *exchange) prefaceState() (full, partial bool) {
	c := x.c
	if c.requests > 0 || !x.h2cEnabled() {
		return false, false
	}
	return h2.MatchPreface(c.buf[c.r:c.w])
}

// unknownProtocol reports, for a first request line without a valid
// HTTP-version, whether the client may not speak HTTP/1 at all: on a
// cleartext listener that also takes HTTP/2, it may be an HTTP/2 client
// whose preface is broken, to which an HTTP/1.1 400 would be garbage.
// RFC 9113 §3.4 makes a bad preface a connection error; before the
// preface there is no HTTP/2 connection to send a GOAWAY on, so the
// connection is closed without a word.
func (x *exchange) unknownProtocol() bool {
	c := x.c
	return c.requests == 0 && x.h2cEnabled() && !versionLooksHTTP(c.buf[c.r:c.w])
}

// versionLooksHTTP reports whether the last word of b's first line starts
// with "HTTP/" in any case: a request line with a version Brick cannot
// take ("http/1.1", "HTTP/3.0") is still HTTP, and answered 400 or 505.
func versionLooksHTTP(b []byte) bool {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimRight(b, "\r")
	if i := bytes.LastIndexByte(b, ' '); i >= 0 {
		b = b[i+1:]
	}
	return len(b) >= 5 && wire.EqualFold(b[:5], "HTTP/")
}

// upgradeH2C answers an "Upgrade: h2c" request with 101 and serves the
// connection over HTTP/2, the request as its stream 1. It reports false,
// leaving the request to HTTP/1.1, when the request does not qualify: a
// body (RFC 7540 §3.2 lets the server ignore the upgrade then), TLS, or a
// missing or bad HTTP2-Settings.
func (x *exchange) upgradeH2C() bool {
	req := &x.req
	if !x.h2cEnabled() || req.ContentLength != 0 || req.Chunked || req.Minor == 0 {
		return false
	}
	if !hasToken(req.Header.Get("Upgrade"), "h2c") || req.Header.Count("HTTP2-Settings") != 1 {
		return false
	}
	conn := req.Header.Get("Connection")
	if !hasToken(conn, "upgrade") || !hasToken(conn, "http2-settings") {
		return false
	}
	settings, err := h2.ParseSettings(req.Header.Get("HTTP2-Settings"))
	if err != nil {
		return false
	}
	up := req.Clone()
	// The upgrade's own fields mean nothing to the handler over HTTP/2.
	for _, name := range [...]string{"Upgrade", "Connection", "HTTP2-Settings"} {
		up.Header.Del(name)
	}
	x.out = append(x.out, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"...)
	x.serveH2(up, settings)
	return true
}

// hasToken reports whether the comma-separated list v holds token.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		if i < 0 {
			i = len(v)
		}
		if wire.EqualFold(bytes.TrimSpace(v[:i]), token) {
			return true
		}
		v = v[min(i+1, len(v)):]
	}
	return false
}

// serveH2 hands the connection to package h2, with the bytes read and not
// consumed (the preface, for prior knowledge), and for an upgrade the
// request that becomes stream 1. It keeps the connection's slot until the
// HTTP/2 connection closes.
func (x *exchange) serveH2(up *web.Request, settings []http2.Setting) {
	c := x.c
	s := c.srv
	if x.flush() != nil {
		c.closeNow()
		return
	}
	var state *tls.ConnectionState
	if t, ok := c.t.(*tlsConn); ok {
		state = t.connState()
	}
	// Watched where the engine can (plain or TLS over a readiness loop),
	// so that an idle connection parks in the loop with no goroutine.
	var nc net.Conn
	var err error
	if w, ok := watchable(c.t); ok {
		nc, err = w.watch()
	} else {
		nc, err = c.t.hijack()
	}
	if err != nil {
		c.closeNow()
		return
	}
	var rest []byte
	if c.r < c.w {
		rest = append(rest, c.buf[c.r:c.w]...)
	}
	c.closed = true
	c.r, c.w = 0, 0
	c.releaseBuffers()
	x.hijacked = false
	var hc *h2.Conn
	hc = h2.NewConn(nc, s.h2Config(), h2.ConnOptions{
		TLS: state, RemoteAddr: c.remote.AddrPort(), LocalAddr: c.local.AddrPort(),
		Buffered: rest, Upgrade: up, UpgradeSettings: settings,
		Done: func() {
			s.mu.Lock()
			delete(s.h2Conns, hc)
			s.mu.Unlock()
			s.release()
		},
	})
	s.mu.Lock()
	if s.h2Conns == nil {
		s.h2Conns = make(map[*h2.Conn]bool)
	}
	s.h2Conns[hc] = false
	s.mu.Unlock()
	go hc.Serve()
}

// h2Shutdown starts draining every HTTP/2 connection not yet draining,
// each on its own goroutine: a GOAWAY to a client that does not read
// waits for the write timeout, which must not hold up Shutdown's loop.
// h2Close closes them all.
func (s *Server) h2Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for hc, draining := range s.h2Conns {
		if !draining {
			s.h2Conns[hc] = true
			go hc.Shutdown()
		}
	}
}

func (s *Server) h2Close() {
	s.mu.Lock()
	conns := make([]*h2.Conn, 0, len(s.h2Conns))
	for hc := range s.h2Conns {
		conns = append(conns, hc)
	}
	s.mu.Unlock()
	for _, hc := range conns {
		hc.Close()
	}
}
