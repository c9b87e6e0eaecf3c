package router

import (
	"bytes"
	"errors"
)

// errBadPath is the 400 for a path the router cannot read safely.
var errBadPath = errors.New("router: bad request path")

// pathBufSize is the stack buffer a path is normalised into; a longer path
// that needs normalising grows onto the heap.
const pathBufSize = 512

// matchPath returns the path routes are matched against: raw itself when
// it is already normal, else its normal form appended to dst (see the
// package documentation). A target without a path ("*" of a server-wide
// OPTIONS, CONNECT's authority) is matched as "/". It reports false for a
// path that is refused with 400.
func matchPath(dst, raw []byte) ([]byte, bool) {
	if len(raw) == 0 || raw[0] != '/' {
		return append(dst, '/'), true
	}
	if isNormal(raw) {
		return raw, true
	}
	return normalize(dst, raw)
}

// isNormal reports whether raw needs no normalising: no escape, no
// backslash, no empty segment and no segment starting with a dot (which
// also sends "/.well-known" the slow way, harmlessly).
func isNormal(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '%', '\\':
			return false
		case '/':
			if i+1 < len(raw) && (raw[i+1] == '/' || raw[i+1] == '.') {
				return false
			}
		}
	}
	return true
}

// normalize appends raw's normal form to dst: percent-decoded once, then
// with empty segments merged and dot-segments removed.
func normalize(dst, raw []byte) ([]byte, bool) {
	start := len(dst)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) {
				return nil, false
			}
			hi, lo := unhex(raw[i+1]), unhex(raw[i+2])
			if hi > 15 || lo > 15 {
				return nil, false
			}
			c = hi<<4 | lo
			i += 2
		}
		if c == '\\' {
			return nil, false
		}
		dst = append(dst, c)
	}
	p, ok := removeDots(dst[start:])
	if !ok {
		return nil, false
	}
	return dst[:start+len(p)], true
}

// removeDots rewrites p, a decoded path starting with "/", in place:
// empty segments merged and "." and ".." resolved as RFC 3986 §5.2.4 does,
// a trailing slash kept (and added after a final dot-segment, so "/a/."
// is "/a/"). The result is never longer than p. A ".." above the root
// reports false.
func removeDots(p []byte) ([]byte, bool) {
	out := p[:0] // written behind the reading position, never ahead of it
	trailing := false
	for r := 0; r < len(p); {
		for r < len(p) && p[r] == '/' {
			r++
		}
		end := r
		for end < len(p) && p[end] != '/' {
			end++
		}
		seg := p[r:end]
		switch {
		case len(seg) == 0 || len(seg) == 1 && seg[0] == '.':
			trailing = true
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			if len(out) == 0 {
				return nil, false
			}
			out = out[:bytes.LastIndexByte(out, '/')]
			trailing = true
		default:
			out = append(out, '/')
			out = append(out, seg...) // a forward copy within p: memmove
			trailing = false
		}
		r = end
	}
	if len(out) == 0 || trailing {
		out = append(out, '/')
	}
	return out, true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// hasPathPrefix reports whether the normal path p is prefix or under it:
// a prefix ending in "/" takes what starts with it, any other prefix takes
// itself and what continues it with a slash.
func hasPathPrefix(p []byte, prefix string) bool {
	n := len(prefix)
	if len(p) < n || string(p[:n]) != prefix {
		return false
	}
	return prefix[n-1] == '/' || len(p) == n || p[n] == '/'
}

// checkPrefix reports why a route prefix is not a normal decoded path.
func checkPrefix(prefix string) error {
	switch {
	case prefix == "" || prefix[0] != '/':
		return errors.New("does not start with /")
	case bytes.IndexByte([]byte(prefix), '\\') >= 0:
		return errors.New("has a backslash")
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c < 0x20 || c == 0x7f {
			return errors.New("has a control byte")
		}
	}
	b := []byte(prefix)
	p, _ := removeDots(b)
	if string(p) != prefix {
		return errors.New(`has an empty, "." or ".." segment`)
	}
	return nil
}
