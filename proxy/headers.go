package proxy

import (
	"bytes"
	"net/netip"
	"strconv"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// hopByHop reports whether a field is meant for one connection only and
// is never forwarded (RFC 9110 §7.6.1): Connection and the fields it
// names are handled by the caller; these are the ones that are
// hop-by-hop without being named. Content-Length and Transfer-Encoding
// are the framing, which the proxy redoes for each side.
func hopByHop(name []byte) bool {
	switch len(name) {
	case 2:
		return wire.EqualFold(name, "TE")
	case 7:
		return wire.EqualFold(name, "Trailer") || wire.EqualFold(name, "Upgrade")
	case 10:
		return wire.EqualFold(name, "Connection") || wire.EqualFold(name, "Keep-Alive")
	case 14:
		return wire.EqualFold(name, "Content-Length")
	case 17:
		return wire.EqualFold(name, "Transfer-Encoding")
	}
	return len(name) > 6 && wire.EqualFold(name[:6], "Proxy-")
}

// connectionTokens holds the names listed in a message's Connection
// fields, which are hop-by-hop too.
type connectionTokens struct {
	list    [8][]byte
	n       int
	more    [][]byte
	upgrade bool // "upgrade" is listed
}

func (t *connectionTokens) collect(h *wire.Header) {
	for i := range h.Len() {
		f := h.At(i)
		if !wire.EqualFold(f.Name, "Connection") {
			continue
		}
		for v := f.Value; len(v) > 0; {
			var e []byte
			if j := bytes.IndexByte(v, ','); j >= 0 {
				e, v = wire.TrimOWS(v[:j]), v[j+1:]
			} else {
				e, v = wire.TrimOWS(v), nil
			}
			if len(e) == 0 {
				continue
			}
			if wire.EqualFold(e, "upgrade") {
				t.upgrade = true
			}
			if t.n < len(t.list) {
				t.list[t.n] = e
				t.n++
			} else {
				t.more = append(t.more, e)
			}
		}
	}
}

func (t *connectionTokens) has(name []byte) bool {
	for _, e := range t.list[:t.n] {
		if bytes.EqualFold(e, name) {
			return true
		}
	}
	for _, e := range t.more {
		if bytes.EqualFold(e, name) {
			return true
		}
	}
	return false
}

// forwardedField reports the fields the proxy rewrites with what it
// knows of the client.
func forwardedField(name []byte) bool {
	switch len(name) {
	case 9:
		return wire.EqualFold(name, "Forwarded")
	case 15:
		return wire.EqualFold(name, "X-Forwarded-For")
	case 16:
		return wire.EqualFold(name, "X-Forwarded-Host")
	case 17:
		return wire.EqualFold(name, "X-Forwarded-Proto")
	}
	return false
}

// upgradeValue returns the protocols of the request's Upgrade field that
// are passed on: any but h2c, which would turn the proxied connection
// into HTTP/2 the proxy cannot read (RFC 9113 §3.1 removed it).
func upgradeValue(h *wire.Header) []byte {
	v := h.Get("Upgrade")
	if len(v) == 0 || bytes.Contains(bytes.ToLower(v), []byte("h2c")) {
		return nil
	}
	return v
}

// trusted reports whether the client's own forwarding fields are kept.
func (h *Handler) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range h.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// appendRequestHead appends the head sent upstream for r: the method,
// the target (without the route's prefix when asked), the client's Host,
// its end-to-end fields, the forwarding fields and the framing of the
// body. upgrade is the Upgrade value to pass on, or nil; length is the
// length of a buffered body, or -1 for r's own framing.
func (h *Handler) appendRequestHead(dst []byte, r *web.Request, upgrade []byte, length int64) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	path := r.Path
	if r.Form == wire.OriginForm || r.Form == wire.AbsoluteForm {
		// Segment-wise, as routes match: "/api" strips from "/api/x"
		// and "/api", never from "/apiary".
		if n := len(h.strip); h.cfg.StripPrefix && n > 0 && bytes.HasPrefix(path, []byte(h.strip)) && (len(path) == n || path[n] == '/') {
			path = path[n:]
			if len(path) == 0 {
				dst = append(dst, '/')
			}
		}
		dst = append(dst, path...)
		if r.Query != nil {
			dst = append(dst, '?')
			dst = append(dst, r.Query...)
		}
	} else {
		dst = append(dst, r.Target...)
	}
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	if len(r.Host) > 0 {
		dst = append(dst, r.Host...)
	} else {
		dst = append(dst, h.ups[0].addr...)
	}
	dst = append(dst, '\r', '\n')

	var conn connectionTokens
	conn.collect(&r.Header)
	trusted := h.trusted(r.RemoteAddr.Addr())
	var xff, xfp, xfh, fwd []byte
	for i := range r.Header.Len() {
		f := r.Header.At(i)
		switch {
		case forwardedField(f.Name):
			if !trusted {
				continue
			}
			switch len(f.Name) {
			case 9:
				fwd = appendList(fwd, f.Value)
			case 15:
				xff = appendList(xff, f.Value)
			case 16:
				if xfh == nil {
					xfh = f.Value
				}
			case 17:
				if xfp == nil {
					xfp = f.Value
				}
			}
			continue
		case hopByHop(f.Name), conn.has(f.Name),
			len(f.Name) == 4 && wire.EqualFold(f.Name, "Host"),
			len(f.Name) == 6 && wire.EqualFold(f.Name, "Expect"):
			// Expect: Brick answers 100-continue itself when the body is
			// first read, so the upstream sees a plain request.
			continue
		}
		dst = appendField(dst, f.Name, f.Value)
	}
	// A client on a Unix socket has no address: X-Forwarded-For keeps
	// what a trusted proxy said, Forwarded says "unknown" (RFC 7239 §6.3).
	peer := r.RemoteAddr.Addr().Unmap()
	if len(xff) > 0 || peer.IsValid() {
		dst = append(dst, "X-Forwarded-For: "...)
		dst = append(dst, xff...)
		if len(xff) > 0 && peer.IsValid() {
			dst = append(dst, ", "...)
		}
		dst = peer.AppendTo(dst)
		dst = append(dst, '\r', '\n')
	}
	dst = append(dst, "X-Forwarded-Proto: "...)
	if xfp != nil {
		dst = append(dst, xfp...)
	} else {
		dst = append(dst, "http"...)
	}
	if host := r.Host; xfh != nil || len(host) > 0 {
		dst = append(dst, "\r\nX-Forwarded-Host: "...)
		if xfh != nil {
			dst = append(dst, xfh...)
		} else {
			dst = append(dst, host...)
		}
	}
	// RFC 7239: for=, host= and proto= of this hop, after a trusted
	// client's own elements. An IPv6 address is quoted and bracketed.
	dst = append(dst, "\r\nForwarded: "...)
	if len(fwd) > 0 {
		dst = append(dst, fwd...)
		dst = append(dst, ", "...)
	}
	dst = append(dst, "for="...)
	if !peer.IsValid() {
		dst = append(dst, "unknown"...)
	} else if peer.Is6() {
		dst = append(dst, `"[`...)
		dst = peer.AppendTo(dst)
		dst = append(dst, `]"`...)
	} else {
		dst = peer.AppendTo(dst)
	}
	if len(r.Host) > 0 && wire.IsToken(r.Host) {
		dst = append(dst, ";host="...)
		dst = append(dst, r.Host...)
	} else if len(r.Host) > 0 {
		dst = strconv.AppendQuote(append(dst, ";host="...), string(r.Host))
	}
	dst = append(dst, ";proto=http\r\n"...)
	switch {
	case upgrade != nil:
		dst = append(dst, "Connection: Upgrade\r\nUpgrade: "...)
		dst = append(dst, upgrade...)
		dst = append(dst, '\r', '\n')
	}
	switch {
	case length >= 0:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, length, 10)
		dst = append(dst, '\r', '\n')
	case r.Chunked:
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	case r.ContentLength > 0 || r.Header.Has("Content-Length"):
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, r.ContentLength, 10)
		dst = append(dst, '\r', '\n')
	}
	return append(dst, '\r', '\n')
}

func appendList(dst, v []byte) []byte {
	if len(dst) > 0 {
		dst = append(dst, ", "...)
	}
	return append(dst, v...)
}

func appendField(dst, name, value []byte) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// copyResponseHeader sets on out the upstream's end-to-end fields.
func copyResponseHeader(out, in *wire.Header) {
	var conn connectionTokens
	conn.collect(in)
	for i := range in.Len() {
		f := in.At(i)
		if hopByHop(f.Name) || conn.has(f.Name) {
			continue
		}
		out.AddBytes(f.Name, f.Value)
	}
}

// cookieValue returns the value of the cookie name in the request's
// Cookie fields, or nil.
func cookieValue(h *wire.Header, name string) []byte {
	for i := range h.Len() {
		f := h.At(i)
		if !wire.EqualFold(f.Name, "Cookie") {
			continue
		}
		for v := f.Value; len(v) > 0; {
			var pair []byte
			if j := bytes.IndexByte(v, ';'); j >= 0 {
				pair, v = v[:j], v[j+1:]
			} else {
				pair, v = v, nil
			}
			pair = wire.TrimOWS(pair)
			if k, val, ok := bytes.Cut(pair, []byte("=")); ok && string(k) == name {
				return val
			}
		}
	}
	return nil
}
