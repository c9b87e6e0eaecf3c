package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
	"github.com/brick-server/brick/wire/wsframe"
)

// Handshake is a validated opening handshake (RFC 6455 §4.2.1), made by
// Check. It owns its data (no view of the request), so a gateway may keep
// it while it asks an application whether to accept.
type Handshake struct {
	// Subprotocols are the client's Sec-WebSocket-Protocol values, in its
	// order of preference.
	Subprotocols []string
	// Origin is the Origin field, "" when absent.
	Origin string
	// Extensions are the client's Sec-WebSocket-Extensions offers.
	Extensions []wsframe.Extension

	key  string
	host string
}

// HandshakeError is a request that is not a valid WebSocket opening
// handshake, or one the server refuses; Reject answers it.
type HandshakeError struct {
	Status int
	Reason string
	// version: answer with Sec-WebSocket-Version (§4.4); upgrade: with
	// "Upgrade: websocket" (426, RFC 9110 §15.5.22).
	version, upgrade bool
}

func (e *HandshakeError) Error() string { return "websocket: " + e.Reason }

// The handshake's rejections.
var (
	ErrMethod     = &HandshakeError{Status: 405, Reason: "a WebSocket handshake is a GET request"}
	ErrHTTP10     = &HandshakeError{Status: 400, Reason: "a WebSocket handshake needs HTTP/1.1"}
	ErrNotUpgrade = &HandshakeError{Status: 426, Reason: "this resource is a WebSocket: send Upgrade: websocket and Connection: Upgrade", upgrade: true, version: true}
	ErrVersion    = &HandshakeError{Status: 426, Reason: "unsupported Sec-WebSocket-Version: use 13", version: true}
	ErrKey        = &HandshakeError{Status: 400, Reason: "Sec-WebSocket-Key must be one base64 value of 16 bytes"}
	ErrBody       = &HandshakeError{Status: 400, Reason: "a WebSocket handshake has no body"}
	ErrExtensions = &HandshakeError{Status: 400, Reason: "malformed Sec-WebSocket-Extensions"}
	ErrProtocols  = &HandshakeError{Status: 400, Reason: "malformed Sec-WebSocket-Protocol"}
	ErrOrigin     = &HandshakeError{Status: 403, Reason: "cross-origin WebSocket refused"}
)

// Check validates r as an opening handshake: GET over HTTP/1.1 or later
// without a body, Upgrade and Connection carrying the websocket and
// upgrade tokens, exactly one Sec-WebSocket-Key that is 16 bytes in
// base64, and Sec-WebSocket-Version 13. It returns a *HandshakeError
// otherwise. Check does not look at Origin: Accept and gateways decide.
func Check(r *web.Request) (*Handshake, error) {
	if string(r.Method) != "GET" {
		return nil, ErrMethod
	}
	if r.Major < 1 || r.Major == 1 && r.Minor < 1 {
		return nil, ErrHTTP10
	}
	if r.ContentLength != 0 || r.Chunked {
		return nil, ErrBody
	}
	h := &r.Header
	if !hasToken(h, "Upgrade", "websocket") || !hasToken(h, "Connection", "upgrade") {
		return nil, ErrNotUpgrade
	}
	if h.Count("Sec-WebSocket-Version") != 1 || string(wire.TrimOWS(h.Get("Sec-WebSocket-Version"))) != "13" {
		return nil, ErrVersion
	}
	key := wire.TrimOWS(h.Get("Sec-WebSocket-Key"))
	var raw [18]byte
	if h.Count("Sec-WebSocket-Key") != 1 || len(key) != 24 {
		return nil, ErrKey
	}
	if n, err := base64.StdEncoding.Decode(raw[:], key); err != nil || n != 16 {
		return nil, ErrKey
	}
	hs := &Handshake{key: string(key), host: string(r.Host), Origin: string(h.Get("Origin"))}
	for _, f := range h.Fields() {
		switch {
		case wire.EqualFold(f.Name, "Sec-WebSocket-Protocol"):
			for _, p := range strings.Split(string(f.Value), ",") {
				p = strings.TrimSpace(p)
				if p == "" {
					continue
				}
				if !wire.IsToken([]byte(p)) {
					return nil, ErrProtocols
				}
				hs.Subprotocols = append(hs.Subprotocols, p)
			}
		case wire.EqualFold(f.Name, "Sec-WebSocket-Extensions"):
			// Copy: the offers outlive the request's buffer.
			var err error
			if hs.Extensions, err = wsframe.ParseExtensions(hs.Extensions, []byte(string(f.Value))); err != nil {
				return nil, ErrExtensions
			}
		}
	}
	return hs, nil
}

// hasToken reports whether a field named name lists tok (case-insensitive,
// RFC 9110 §7.6.1, §7.8), across repeated field lines.
func hasToken(h *wire.Header, name, tok string) bool {
	for _, f := range h.Fields() {
		if !wire.EqualFold(f.Name, name) {
			continue
		}
		for _, t := range strings.Split(string(f.Value), ",") {
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// SameOrigin reports whether the handshake's Origin, when there is one,
// names the host the request was sent to: the default check against
// cross-site WebSocket hijacking (RFC 6455 §10.2). Browsers always send
// Origin; other clients usually do not.
func (h *Handshake) SameOrigin() bool {
	if h.Origin == "" {
		return true
	}
	_, host, ok := strings.Cut(h.Origin, "://")
	return ok && strings.EqualFold(host, h.host)
}

// Reject answers a handshake that failed Check (or that the server
// refuses) with err's status and reason; for any other error it answers
// 500. The handler returns nil after it: the response is written.
func Reject(w web.ResponseWriter, err error) {
	var he *HandshakeError
	if !errors.As(err, &he) {
		he = &HandshakeError{Status: 500, Reason: "websocket handshake failed"}
	}
	hd := w.Header()
	if he.version {
		hd.Set("Sec-WebSocket-Version", "13")
	}
	if he.upgrade {
		hd.Set("Upgrade", "websocket")
		hd.Set("Connection", "Upgrade")
	}
	if he.Status == 405 {
		hd.Set("Allow", "GET")
	}
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(he.Status)
	w.WriteString(he.Reason + "\n")
}

// AcceptOptions is what a server adds to its 101 answer.
type AcceptOptions struct {
	// Subprotocol is the chosen Sec-WebSocket-Protocol, "" for none; it
	// must be one the client offered (§4.2.2).
	Subprotocol string
	// Header holds extra response fields (Set-Cookie, say). The fields
	// the handshake owns (Upgrade, Connection, Sec-WebSocket-*) are
	// refused.
	Header []wire.Field
}

// ErrBadAccept reports an AcceptOptions the handshake cannot send: a
// subprotocol the client did not offer, or an invalid or reserved field.
var ErrBadAccept = errors.New("websocket: subprotocol not offered, or a header field that is invalid or the handshake's own")

// Accept completes the handshake: it takes the connection over (web.Hijack),
// sends 101 Switching Protocols with the accept key, a, and the agreed
// permessage-deflate parameters, and returns the Conn. opts may be nil
// (defaults). After an error nothing was sent unless the error came from
// the connection itself; a handler answers ErrBadAccept with Reject.
func (h *Handshake) Accept(w web.ResponseWriter, a AcceptOptions, opts *Options) (*Conn, error) {
	if a.Subprotocol != "" && !contains(h.Subprotocols, a.Subprotocol) {
		return nil, ErrBadAccept
	}
	for _, f := range a.Header {
		if !wire.IsToken(f.Name) || !wire.IsFieldValue(f.Value) || reserved(f.Name) {
			return nil, ErrBadAccept
		}
	}
	o := opts.withDefaults()
	var deflate wsframe.Deflate
	compress := false
	if o.Compression {
		deflate, compress = wsframe.NegotiateDeflate(h.Extensions, o.Deflate)
	}
	c, err := takeOver(w, o, a.Subprotocol)
	if err != nil {
		return nil, err
	}
	nc := c.nc
	if compress {
		c.enableDeflate(deflate)
	}
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = append(b, AcceptKey(h.key)...)
	if a.Subprotocol != "" {
		b = append(b, "\r\nSec-WebSocket-Protocol: "...)
		b = append(b, a.Subprotocol...)
	}
	if compress {
		b = append(b, "\r\nSec-WebSocket-Extensions: "...)
		b = deflate.AppendResponse(b)
	}
	for _, f := range a.Header {
		b = append(append(append(append(b, "\r\n"...), f.Name...), ": "...), f.Value...)
	}
	b = append(b, "\r\n\r\n"...)
	if o.WriteTimeout > 0 {
		nc.SetWriteDeadline(time.Now().Add(o.WriteTimeout))
		defer nc.SetWriteDeadline(time.Time{})
	}
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, err
	}
	c.startKeepalive()
	track(c)
	return c, nil
}

func reserved(name []byte) bool {
	for _, r := range []string{"Upgrade", "Connection", "Content-Length", "Transfer-Encoding"} {
		if wire.EqualFold(name, r) {
			return true
		}
	}
	return len(name) >= 14 && wire.EqualFold(name[:14], "Sec-WebSocket-")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// AcceptKey returns Sec-WebSocket-Accept for a Sec-WebSocket-Key (§4.2.2).
func AcceptKey(key string) string {
	s := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(s[:])
}

// Accept validates r as a WebSocket handshake and completes it: the
// one-call form for Go handlers. It refuses a cross-origin request
// (Options.CheckOrigin, by default SameOrigin), picks the first of
// Options.Subprotocols the client offered, and hijacks. When the handshake
// fails it has already answered (400, 403, 405 or 426, see Reject) and
// returns the *HandshakeError; the handler then returns nil.
func Accept(w web.ResponseWriter, r *web.Request, opts *Options) (*Conn, error) {
	h, err := Check(r)
	if err != nil {
		Reject(w, err)
		return nil, err
	}
	o := opts.withDefaults()
	ok := h.SameOrigin()
	if o.CheckOrigin != nil {
		ok = o.CheckOrigin(r)
	}
	if !ok {
		Reject(w, ErrOrigin)
		return nil, ErrOrigin
	}
	var a AcceptOptions
	for _, p := range o.Subprotocols {
		if contains(h.Subprotocols, p) {
			a.Subprotocol = p
			break
		}
	}
	c, err := h.Accept(w, a, opts)
	if errors.Is(err, ErrBadAccept) {
		Reject(w, err)
	}
	return c, err
}
