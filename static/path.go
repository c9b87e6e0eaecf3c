package static

import (
	"strings"
	"unicode/utf8"
)

// pathError is why a request path was refused; every one is a 400.
type pathError string

func (e pathError) Error() string { return "static: " + string(e) }

// cleanPath turns a request path, as received (percent-encoded), into the
// slash-separated path it names inside the root: it starts with "/", keeps
// a trailing slash, has no empty, "." or ".." segment, and no byte that
// could mean something else to the filesystem. It decodes percent-escapes
// exactly once, so "%252e" stays the three characters "%2e".
//
// Refused (400): a path not starting with "/", a bad escape, NUL and other
// control bytes, a backslash (a separator on Windows, an escape to some
// tools), an encoded slash (it would cross a directory the client did not
// write), and bytes that are not valid UTF-8 after decoding, which also
// refuses overlong encodings such as %C0%AE for ".".
func cleanPath(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '/' {
		return "", pathError("path does not start with /")
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) {
				return "", pathError("bad percent-escape")
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return "", pathError("bad percent-escape")
			}
			c = hi<<4 | lo
			if c == '/' {
				return "", pathError("encoded slash")
			}
			i += 2
		}
		switch {
		case c < 0x20 || c == 0x7f:
			return "", pathError("control byte")
		case c == '\\':
			return "", pathError("backslash")
		}
		b.WriteByte(c)
	}
	p := b.String()
	if !utf8.ValidString(p) {
		return "", pathError("invalid UTF-8")
	}
	p = removeDotSegments(p)
	if !contained(p) {
		return "", pathError("path escapes the root")
	}
	return p, nil
}

// removeDotSegments is RFC 3986 §5.2.4 on a decoded absolute path, which
// also collapses empty segments ("//"), so the result is never the start
// of a network-path reference.
func removeDotSegments(p string) string {
	segs := make([]string, 0, 8)
	trailing := false
	for _, s := range strings.Split(p[1:], "/") {
		trailing = false
		switch s {
		case "", ".":
			trailing = true
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
			trailing = true
		default:
			segs = append(segs, s)
		}
	}
	out := "/" + strings.Join(segs, "/")
	if trailing && len(segs) > 0 {
		out += "/"
	}
	return out
}

// contained verifies what removeDotSegments guarantees, as a second lock:
// the path is absolute and no segment can move up or sideways.
func contained(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for _, s := range strings.Split(p[1:], "/") {
		if s == ".." || s == "." || strings.ContainsAny(s, "\\\x00") {
			return false
		}
	}
	return true
}

// hidden reports whether the path has a segment starting with a dot,
// other than a leading /.well-known/ (RFC 8615).
func hidden(p string) bool {
	p = strings.TrimPrefix(p, "/.well-known/")
	return strings.HasPrefix(p, ".") || strings.Contains(p, "/.")
}

// fsName is the name of a clean path relative to the root: "" is ".".
func fsName(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return "."
	}
	return p
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// escapePath percent-encodes a clean path for a Location field or a link:
// everything but unreserved characters, sub-delims that are safe in a path,
// ':' , '@' and '/'.
func escapePath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// simplePath reports whether a raw path is already clean: no escapes, no
// dot-segments, no empty segments, no bytes needing a check. Such a path
// can look up the memory cache without being copied.
func simplePath(raw []byte) bool {
	if len(raw) == 0 || raw[0] != '/' {
		return false
	}
	prev := byte('/')
	for _, c := range raw[1:] {
		switch {
		case c == '%' || c == '\\' || c < 0x21 || c >= 0x7f:
			return false
		case c == '/' && prev == '/':
			return false
		case c == '.' && prev == '/':
			return false // dot-segments and dotfiles take the slow path
		}
		prev = c
	}
	return true
}
