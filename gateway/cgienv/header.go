package cgienv

import "github.com/brick-server/brick/wire"

// headers passes an HTTP_* variable for each header field name (RFC 3875
// §4.1.18): the name upper-cased with '-' as '_', the values of repeated
// lines joined in order. Names are compared case-insensitively, so every
// key is passed once, at the place of the name's first line. Fields named
// other than by letters, digits and '-' are dropped, as nginx's
// ignore_invalid_headers and underscores_in_headers off drop them: a field
// "X_Forwarded_For" would otherwise reach the application as the same
// HTTP_X_FORWARDED_FOR as "X-Forwarded-For", which a proxy in front may
// have set or cleaned; and no name can make a key that is not HTTP_
// followed by [A-Z0-9_].
func (e *emitter) headers(h *wire.Header) {
	fields := h.Fields()
	for i, f := range fields {
		if !passed(f.Name) || seenBefore(fields[:i], f.Name) {
			continue
		}
		sep := ", " // RFC 9110 §5.3
		if wire.EqualFold(f.Name, "Cookie") {
			sep = "; " // RFC 9113 §8.2.3, RFC 6265 §5.4
		}
		buf := append(e.b.buf[:e.mark], "HTTP_"...)
		start := len(buf)
		buf = append(buf, f.Name...)
		for j := start; j < len(buf); j++ {
			buf[j] = keyByte[buf[j]]
		}
		mid := len(buf)
		value := f.Value
		joined := false
		for _, g := range fields[i+1:] {
			if !equalFold(g.Name, f.Name) {
				continue
			}
			if !joined {
				buf = append(buf, value...)
				joined = true
			}
			buf = append(buf, sep...)
			buf = append(buf, g.Value...)
		}
		e.b.buf = buf
		if joined {
			value = buf[mid:]
		}
		value = value[:len(value):len(value)]
		e.sink.Add(buf[e.mark:mid:mid], value)
	}
}

// passed reports whether a field becomes an HTTP_* variable: its name is
// made of letters, digits and '-', and it is none of the fields handled
// otherwise. Host becomes HTTP_HOST from the request's authority.
// Content-Type and Content-Length are only CONTENT_TYPE and CONTENT_LENGTH
// (RFC 3875 §4.1.18 forbids duplicating them), and the latter comes from
// the body the application gets, not from the client. Transfer-Encoding is
// dropped because the application gets the body de-chunked. Proxy is
// dropped because HTTP_PROXY is where CGI programs and libraries look for
// their outgoing proxy (httpoxy, CVE-2016-5386).
func passed(name []byte) bool {
	for _, c := range name {
		if keyByte[c] == 0 {
			return false
		}
	}
	switch len(name) {
	case 4:
		return !wire.EqualFold(name, "Host")
	case 5:
		return !wire.EqualFold(name, "Proxy")
	case 12:
		return !wire.EqualFold(name, "Content-Type")
	case 14:
		return !wire.EqualFold(name, "Content-Length")
	case 17:
		return !wire.EqualFold(name, "Transfer-Encoding")
	}
	return len(name) > 0
}

// keyByte maps a byte of a passed field name to its byte in the key:
// letters upper-cased, '-' to '_', digits kept. Any other byte maps to 0:
// a name holding one is not passed.
var keyByte = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c)
		t[c-'A'+'a'] = byte(c)
	}
	t['-'] = '_'
	return t
}()

// seenBefore reports whether a field of fields has the name name.
func seenBefore(fields []wire.Field, name []byte) bool {
	for _, f := range fields {
		if equalFold(f.Name, name) {
			return true
		}
	}
	return false
}

// equalFold compares two field names under ASCII case folding.
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		y := b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}
