package router

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Redirect returns a handler answering every request with a redirection
// to `to` (an absolute URL or an absolute path) with status 301, 302,
// 303, 307 or 308. With keepPath, the Location is `to` followed by the
// rest of the request's path after the route's prefix (the normal form
// routes are matched against, re-encoded) and the request's query:
// Redirect("https://new.example/docs/", 301, true) on the route "/old/"
// sends "/old/a/b?x=1" to "https://new.example/docs/a/b?x=1". Exactly one
// slash joins `to` and a non-empty rest. The body is the status text.
// New refuses a bad status or target; served outside a Router, a bad one
// is a 500.
func Redirect(to string, status int, keepPath bool) web.Handler {
	h := &redirect{to: to, status: status, keep: keepPath}
	h.err = h.validate()
	return h
}

type redirect struct {
	to     string
	status int
	keep   bool
	prefix string // the route's, set by bind
	err    error  // validate's verdict, computed once
}

func (h *redirect) validate() error {
	switch {
	case h.status != 301 && h.status != 302 && h.status != 303 && h.status != 307 && h.status != 308:
		return fmt.Errorf("redirect status %d is not 301, 302, 303, 307 or 308", h.status)
	case h.to == "" || !wire.IsFieldValue([]byte(h.to)) || strings.ContainsAny(h.to, " \t"):
		return fmt.Errorf("redirect target %q is empty or not a URL", h.to)
	case h.keep && strings.ContainsAny(h.to, "?#"):
		return fmt.Errorf("redirect target %q keeps the path but has a query or fragment", h.to)
	}
	return nil
}

func (h *redirect) bind(prefix string) web.Handler {
	c := *h
	c.prefix = prefix
	return &c
}

// ServeHTTP answers with the redirection.
func (h *redirect) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	if h.err != nil {
		return web.Error(500, h.err)
	}
	var lbuf [pathBufSize]byte
	loc := append(lbuf[:0], h.to...)
	if h.keep {
		var pbuf [pathBufSize]byte
		p, ok := matchPath(pbuf[:0], r.Path)
		if !ok {
			return errBadRequest
		}
		rest := p
		if h.prefix != "" && hasPathPrefix(p, h.prefix) {
			rest = p[len(h.prefix):]
		}
		if len(rest) > 0 {
			if loc[len(loc)-1] != '/' {
				loc = append(loc, '/')
			}
			if rest[0] == '/' {
				rest = rest[1:]
			}
			loc = appendPathEscaped(loc, rest)
		}
		if r.Query != nil {
			loc = append(loc, '?')
			loc = append(loc, r.Query...)
		}
	}
	hd := w.Header()
	hd.Del("Location")
	hd.AddBytes([]byte("Location"), loc)
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(h.status)
	if string(r.Method) != "HEAD" {
		w.WriteString(wire.StatusText(h.status))
		w.WriteString("\n")
	}
	return nil
}

// appendPathEscaped appends a decoded path, percent-encoding every byte a
// path segment may not carry as it is (RFC 3986 §3.3: pchar and "/").
func appendPathEscaped(dst, p []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range p {
		if pathSafe[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// pathSafe marks unreserved, sub-delims, ':', '@' and '/'.
var pathSafe = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-._~!$&'()*+,;=:@/" {
		t[c] = true
	}
	return t
}()

// Respond returns a handler answering every request with status, a
// Content-Type (none when empty) and body; a HEAD gets the same head and
// no body. New refuses a status outside 200-599, and a body with 204 or
// 304; served outside a Router, a bad one is a 500.
func Respond(status int, contentType, body string) web.Handler {
	h := &respond{status: status, ctype: contentType, body: body, clen: strconv.Itoa(len(body))}
	h.err = h.validate()
	return h
}

type respond struct {
	status      int
	ctype, body string
	clen        string
	err         error // validate's verdict, computed once
}

func (h *respond) validate() error {
	switch {
	case h.status < 200 || h.status > 599:
		return fmt.Errorf("status %d is not 200-599", h.status)
	case !wire.BodyAllowed(h.status) && h.body != "":
		return fmt.Errorf("status %d has no body", h.status)
	case !wire.IsFieldValue([]byte(h.ctype)):
		return errors.New("content type is not a valid field value")
	}
	return nil
}

// ServeHTTP answers with the fixed response.
func (h *respond) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	if h.err != nil {
		return web.Error(500, h.err)
	}
	hd := w.Header()
	if h.ctype != "" {
		hd.Set("Content-Type", h.ctype)
	}
	if wire.BodyAllowed(h.status) {
		hd.Set("Content-Length", h.clen)
	}
	w.WriteHeader(h.status)
	if h.body != "" && string(r.Method) != "HEAD" {
		w.WriteString(h.body)
	}
	return nil
}
