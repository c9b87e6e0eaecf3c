package wire

import "bytes"

var slash = []byte("/")

// maxMethodBytes bounds a method; the longest registered method is 17 bytes
// (UPDATEREDIRECTREF), so anything near the bound is garbage, and a bound
// lets a partial request line be rejected before its first space arrives.
const maxMethodBytes = 64

// checkRequestLine validates method SP request-target SP HTTP-version
// (RFC 9112 §3) left to right and returns the error at the first byte that
// cannot belong to a valid request line, or for a complete line, the error
// its end reveals. It returns the positions of the two spaces.
//
// The same function judges a partial line (complete == false) and a
// complete one, and a partial line is only rejected for bytes it already
// holds, so the verdict on a request never depends on how it was split
// into reads. A trailing CR of a partial line is left unjudged: it may be
// the start of the CRLF. Bytes before from were validated by an earlier
// call on a shorter prefix and are only counted, not checked again, so a
// line that trickles in costs linear time.
//
// Exactly one space separates the parts: RFC 9112 §3 lets a server accept
// other whitespace, but strictness leaves nothing for two parsers to
// disagree about.
func checkRequestLine(line []byte, complete bool, from int, l *Limits) (sp1, sp2 int, err error) {
	n := len(line)
	if !complete && n > 0 && line[n-1] == '\r' {
		n--
	}
	// method = token (RFC 9110 §9.1)
	i := 0
	for i < n && i <= maxMethodBytes && tokenTable[line[i]] {
		i++
	}
	switch {
	case i > maxMethodBytes:
		return 0, 0, ErrBadMethod
	case i == n && complete:
		return 0, 0, ErrBadRequestLine
	case i == n:
		return 0, 0, nil
	case line[i] != ' ' || i == 0:
		return 0, 0, byteError(line[i], ErrBadMethod)
	}
	sp1 = i

	// request-target: visible ASCII up to the next space, at most
	// MaxTargetBytes of it (RFC 9112 §3.2, RFC 9112 §3 on 414).
	t0 := sp1 + 1
	tEnd := min(n, t0+l.MaxTargetBytes+1)
	sp := bytes.IndexByte(line[t0:tEnd], ' ')
	if sp >= 0 {
		tEnd = t0 + sp
	}
	for j := max(t0, from); j < tEnd; j++ {
		if !targetTable[line[j]] {
			return 0, 0, byteError(line[j], ErrBadTarget)
		}
	}
	switch {
	case sp < 0 && tEnd-t0 > l.MaxTargetBytes:
		return 0, 0, ErrTargetTooLong
	case sp < 0 && complete:
		return 0, 0, ErrBadRequestLine
	case sp < 0:
		return 0, 0, nil
	case sp == 0:
		return 0, 0, ErrBadTarget
	}
	sp2 = tEnd

	// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
	v := line[sp2+1 : n]
	for k, c := range v {
		if k >= len(versionPattern) {
			return 0, 0, byteError(c, ErrBadVersion)
		}
		if p := versionPattern[k]; p == 'D' && (c < '0' || c > '9') || p != 'D' && c != p {
			return 0, 0, byteError(c, ErrBadVersion)
		}
	}
	switch {
	case !complete:
		return 0, 0, nil
	case len(v) < len(versionPattern):
		return 0, 0, ErrBadVersion
	case v[5] != '1':
		// RFC 9110 §6.2: a different major version is a different
		// protocol; 0.9 and 2.0 are not spoken on an HTTP/1.1 connection.
		return 0, 0, ErrVersionUnsupported
	}
	return sp1, sp2, nil
}

const versionPattern = "HTTP/D.D"

// byteError is the error for an unexpected byte: a CR that does not end a
// line is reported as such, anything else as err.
func byteError(c byte, err *Error) *Error {
	if c == '\r' {
		return ErrBareCR
	}
	return err
}

// parseRequestLine parses a complete request line (without its line
// terminator) into r.
func (r *RequestHead) parseRequestLine(line []byte, l *Limits) error {
	sp1, sp2, err := checkRequestLine(line, true, 0, l)
	if err != nil {
		return err
	}
	r.Method, r.Proto = line[:sp1], line[sp2+1:]
	// RFC 9110 §6.2: a recipient treats a higher 1.x minor version as the
	// highest one it implements, 1.1.
	r.Major, r.Minor = 1, min(int(r.Proto[7]-'0'), 1)
	return r.parseTarget(line[sp1+1 : sp2])
}

// parseTarget classifies the request-target into its four forms
// (RFC 9112 §3.2) and splits out path, query and authority. Its bytes were
// already checked to be visible ASCII.
func (r *RequestHead) parseTarget(t []byte) error {
	r.Target = t
	switch {
	case string(r.Method) == "CONNECT":
		// §3.2.3: CONNECT takes only the authority form, uri-host ":"
		// port, and needs both to name a tunnel's far end.
		colon := bytes.LastIndexByte(t, ':')
		if colon <= 0 || colon == len(t)-1 || colon < bytes.LastIndexByte(t, ']') || !validHost(t) {
			return ErrBadTarget
		}
		r.Form, r.Host = AuthorityForm, t
	case t[0] == '/':
		// §3.2.1: origin-form = absolute-path [ "?" query ]. A fragment
		// is never sent (RFC 9110 §4.2.5); rejecting '#' keeps a server
		// and a cache from disagreeing on where the path ends.
		if bytes.IndexByte(t, '#') >= 0 {
			return ErrBadTarget
		}
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

func (r *RequestHead) splitQuery(pq []byte) {
	if q := bytes.IndexByte(pq, '?'); q >= 0 {
		r.Path, r.Query = pq[:q], pq[q+1:]
	} else {
		r.Path = pq
	}
}

// parseAbsolute parses scheme "://" authority path-abempty ["?" query]
// (RFC 9112 §3.2.2). The authority replaces any Host field.
func (r *RequestHead) parseAbsolute(t []byte) error {
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

// hostTable marks reg-name bytes: unreserved and sub-delims (RFC 3986
// §3.2.2). The grammar also allows pct-encoded bytes, but no DNS name needs
// them and they let "a%2eb" and "a.b" name one host in two spellings, one
// of which net/url decodes and Brick would not; so '%' is refused.
var hostTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			bytes.IndexByte([]byte("-._~!$&'()*+,;="), b) >= 0
	}
	return t
}()

// validHost checks uri-host [ ":" port ] (RFC 9110 §7.2). An empty value is
// allowed: a client sends an empty Host when the URI has no authority. An
// IP-literal must hold a well-formed IPv6 address; IPvFuture and zone IDs
// are refused, as no client sends them to a server.
func validHost(h []byte) bool {
	if len(h) > 0 && h[0] == '[' {
		end := bytes.IndexByte(h, ']')
		return end > 0 && validIPv6(h[1:end]) && validPort(h[end+1:])
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

// validIPv6 checks IPv6address (RFC 3986 §3.2.2): eight groups of up to four
// hex digits, or fewer with one "::", the last two optionally written as an
// IPv4 address.
func validIPv6(s []byte) bool {
	groups, ellipsis := 0, false
	i := 0
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis, i = true, 2
	}
	for i < len(s) {
		j := i
		for j < len(s) && j-i < 4 && hexValue(s[j]) >= 0 {
			j++
		}
		if j < len(s) && s[j] == '.' {
			if !validIPv4(s[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i {
			return false
		}
		groups++
		if j == len(s) {
			break
		}
		if s[j] != ':' || j+1 == len(s) {
			return false
		}
		i = j + 1
		if s[i] == ':' {
			if ellipsis {
				return false
			}
			ellipsis, i = true, i+1
		}
	}
	if ellipsis {
		return groups <= 7
	}
	return groups == 8
}

// validIPv4 checks four dec-octets (RFC 3986 §3.2.2): 0 to 255, without
// leading zeros.
func validIPv4(s []byte) bool {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if len(s) == 0 || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
		i, n := 0, 0
		for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
		}
		if i == 0 || n > 255 || i > 1 && s[0] == '0' {
			return false
		}
		s = s[i:]
	}
	return len(s) == 0
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
