package cgienv

import (
	"bytes"
	"strings"
)

// decodePath percent-decodes the request path exactly once (RFC 3986 §2.1),
// so "%252F" becomes "%2F", not "/". A path without escapes is returned as
// it is, a view of the request; a decoded one lives in b.buf.
//
// An encoded slash is decoded like any other byte, as gunicorn, uWSGI and
// wsgiref do (RFC 3875 §4.1.5 leaves it to the server); an application that
// must tell "%2F" from "/" reads REQUEST_URI. Refused with ErrBadPath: a
// '%' not followed by two hex digits, an encoded NUL (it cannot travel in a
// CGI environment and truncates C strings), and a "." or ".." segment after
// decoding, which nginx and Apache would have resolved before the
// application saw it, and which would let "/app/../admin" pass for a path
// under "/app".
func (b *Builder) decodePath(raw []byte) ([]byte, error) {
	p := raw
	if i := bytes.IndexByte(raw, '%'); i >= 0 {
		start := len(b.buf)
		buf := append(b.buf, raw[:i]...)
		for ; i < len(raw); i++ {
			c := raw[i]
			if c == '%' {
				if i+2 >= len(raw) {
					return nil, ErrBadPath
				}
				hi, lo := unhex[raw[i+1]], unhex[raw[i+2]]
				if hi > 15 || lo > 15 {
					return nil, ErrBadPath
				}
				c = hi<<4 | lo
				if c == 0 {
					return nil, ErrBadPath
				}
				i += 2
			}
			buf = append(buf, c)
		}
		b.buf = buf
		p = buf[start:len(buf):len(buf)]
	}
	if hasDotSegment(p) {
		return nil, ErrBadPath
	}
	return p, nil
}

// hasDotSegment reports whether a slash-separated path has a segment that
// is exactly "." or "..".
func hasDotSegment(p []byte) bool {
	for len(p) > 0 {
		seg := p
		if i := bytes.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		if len(seg) == 1 && seg[0] == '.' || len(seg) == 2 && seg[0] == '.' && seg[1] == '.' {
			return true
		}
	}
	return false
}

// unhex maps a hex digit to its value and anything else to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// splitMount splits a decoded path into SCRIPT_NAME and PATH_INFO, so that
// script+info == path. The mount's slashes are normalised ("app/" is
// "/app"); "" or "/" is the root, which owns every path, including "*" (a
// server-wide OPTIONS) and the empty path of CONNECT. Any other mount owns
// itself (PATH_INFO "") and the paths below it; matching is by whole
// segments and case-sensitive, so "/application" is outside "/app".
func splitMount(path []byte, mount string) (script, info []byte, err error) {
	m := strings.Trim(mount, "/")
	if m == "" {
		return path[:0:0], path, nil
	}
	n := 1 + len(m)
	if len(path) < n || path[0] != '/' || string(path[1:n]) != m || len(path) > n && path[n] != '/' {
		return nil, nil, ErrOutsideMount
	}
	return path[:n:n], path[n:], nil
}
