package wire

import "bytes"

var slash = []byte("/")

// parseRequestLine parses method SP request-target SP HTTP-version
// (RFC 9112 §3). Exactly one space separates the parts: the RFC lets a
// server accept other whitespace, but being strict leaves nothing for two
// parsers to disagree about.
func (r *Request) parseRequestLine(line []byte, l *Limits) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		if bytes.IndexByte(line, '\r') >= 0 {
			return ErrBareCR
		}
		return ErrBadRequestLine
	}
	method := line[:sp1]
	if !IsToken(method) {
		return ErrBadMethod
	}
	rest := line[sp1+1:]
	sp2 := bytes.LastIndexByte(rest, ' ')
	if sp2 < 0 {
		return ErrBadRequestLine
	}
	target, version := rest[:sp2], rest[sp2+1:]
	if len(target) > l.MaxTargetBytes {
		return ErrTargetTooLong
	}
	if err := r.parseVersion(version); err != nil {
		return err
	}
	r.Method = method
	return r.parseTarget(target)
}

// parseVersion parses HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
func (r *Request) parseVersion(v []byte) error {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		if bytes.IndexByte(v, '\r') >= 0 {
			return ErrBareCR
		}
		return ErrBadVersion
	}
	major, minor := int(v[5]-'0'), int(v[7]-'0')
	if major != 1 {
		return ErrVersionUnsupported
	}
	r.Proto, r.Major, r.Minor = v, 1, min(minor, 1)
	return nil
}

// parseTarget classifies the request-target into its four forms
// (RFC 9112 §3.2) and splits out path, query and authority.
func (r *Request) parseTarget(t []byte) error {
	if len(t) == 0 {
		return ErrBadTarget
	}
	for _, c := range t {
		if !targetTable[c] {
			if c == '\r' {
				return ErrBareCR
			}
			return ErrBadTarget
		}
	}
	r.Target = t
	isConnect := string(r.Method) == "CONNECT"
	switch {
	case isConnect:
		// §3.2.3: CONNECT takes only the authority form, host and port.
		colon := bytes.LastIndexByte(t, ':')
		if !validHost(t) || colon < 0 || colon < bytes.LastIndexByte(t, ']') || colon == len(t)-1 {
			return ErrBadTarget
		}
		r.Form, r.Host = AuthorityForm, t
	case t[0] == '/':
		r.Form = OriginForm
		r.splitQuery(t)
	case len(t) == 1 && t[0] == '*':
		// §3.2.4: the asterisk form is only for a server-wide OPTIONS.
		if string(r.Method) != "OPTIONS" {
			return ErrBadTarget
		}
		r.Form, r.Path = AsteriskForm, t
	default:
		return r.parseAbsolute(t)
	}
	return nil
}

func (r *Request) splitQuery(pq []byte) {
	if q := bytes.IndexByte(pq, '?'); q >= 0 {
		r.Path, r.Query = pq[:q], pq[q+1:]
	} else {
		r.Path = pq
	}
}

// parseAbsolute parses scheme "://" authority path-abempty ["?" query]
// (RFC 9112 §3.2.2). The authority replaces any Host field.
func (r *Request) parseAbsolute(t []byte) error {
	colon := bytes.IndexByte(t, ':')
	if colon <= 0 || !validScheme(t[:colon]) || !bytes.HasPrefix(t[colon:], []byte("://")) {
		return ErrBadTarget
	}
	rest := t[colon+3:]
	end := len(rest)
	if i := bytes.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	auth := rest[:end]
	// RFC 9110 §4.2.4: userinfo is deprecated in http(s) URIs; an '@' is
	// a classic way to make two parsers see two different hosts.
	if len(auth) == 0 || bytes.IndexByte(auth, '@') >= 0 || !validHost(auth) {
		return ErrBadTarget
	}
	r.Form, r.Host = AbsoluteForm, auth
	pq := rest[end:]
	if bytes.IndexByte(pq, '#') >= 0 {
		return ErrBadTarget
	}
	if len(pq) == 0 || pq[0] == '?' {
		// An empty path means "/" (RFC 9110 §4.2.3).
		r.splitQuery(pq)
		r.Path = slash
		return nil
	}
	r.splitQuery(pq)
	return nil
}

// validScheme checks scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s []byte) bool {
	for i, c := range s {
		alpha := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return len(s) > 0
}

// hostTable marks reg-name bytes: unreserved, sub-delims and '%' for
// pct-encoded (RFC 3986 §3.2.2).
var hostTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			bytes.IndexByte([]byte("-._~!$&'()*+,;=%"), b) >= 0
	}
	return t
}()

// validHost checks uri-host [ ":" port ] (RFC 9110 §7.2). An empty value is
// allowed: a client sends an empty Host when the URI has no authority.
func validHost(h []byte) bool {
	if len(h) > 0 && h[0] == '[' {
		end := bytes.IndexByte(h, ']')
		if end < 2 {
			return false
		}
		for _, c := range h[1:end] {
			if !(c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' || c == ':' || c == '.' || c == 'v' || c == 'V') {
				return false
			}
		}
		return validPort(h[end+1:])
	}
	colon := bytes.IndexByte(h, ':')
	host := h
	if colon >= 0 {
		host = h[:colon]
		if !validPort(h[colon:]) {
			return false
		}
	}
	for _, c := range host {
		if !hostTable[c] {
			return false
		}
	}
	return true
}

// validPort checks [ ":" *DIGIT ] after a host.
func validPort(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	if p[0] != ':' || len(p) > 6 {
		return false
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
