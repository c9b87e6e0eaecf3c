package wire

import "math"

// tokenTable marks tchar (RFC 9110 §5.6.2): the bytes allowed in a token.
var tokenTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// valueTable marks the bytes allowed inside a field value (RFC 9110 §5.5):
// VCHAR, obs-text, SP and HTAB. Everything else is a control character.
var valueTable = func() (t [256]bool) {
	for c := 0x20; c <= 0xff; c++ {
		t[c] = c != 0x7f
	}
	t['\t'] = true
	return t
}()

// targetTable marks the bytes allowed in a request-target: visible ASCII.
// Anything else must be percent-encoded by the client (RFC 3986 §2).
var targetTable = func() (t [256]bool) {
	for c := 0x21; c <= 0x7e; c++ {
		t[c] = true
	}
	return t
}()

// IsToken reports whether b is a non-empty RFC 9110 token.
func IsToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenTable[c] {
			return false
		}
	}
	return true
}

// IsFieldValue reports whether b may be sent as a field value: no control
// characters other than HTAB (RFC 9110 §5.5), and so no CR or LF that
// would split a field line. Gateways check values they take from
// applications with it.
func IsFieldValue(b []byte) bool {
	for _, c := range b {
		if !valueTable[c] {
			return false
		}
	}
	return true
}

// FieldValueProblem says in a few words what keeps s from being a field
// value (RFC 9110 §5.5), or returns "" when it is one: configuration
// checks name the problem instead of only refusing the value.
func FieldValueProblem(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case valueTable[c]:
		case c == '\r' || c == '\n':
			return "a line break"
		case c == 0:
			return "a NUL byte"
		default:
			return "a control character"
		}
	}
	return ""
}

// EqualFold reports whether b equals s under ASCII case folding, which is how
// field names and most protocol tokens compare (RFC 9110 §5.1).
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || (x|0x20) < 'a' || (x|0x20) > 'z' {
			return false
		}
	}
	return true
}

// TrimOWS removes optional whitespace (SP and HTAB) from both ends of b
// (RFC 9110 §5.6.3), as every list and field value parser needs.
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// nextListElement splits a comma-separated list (RFC 9110 §5.6.1), skipping
// empty elements, and returns the first element trimmed and the rest.
func nextListElement(b []byte) (elem, rest []byte) {
	for {
		i := 0
		for i < len(b) && b[i] != ',' {
			i++
		}
		elem = TrimOWS(b[:i])
		if i < len(b) {
			rest = b[i+1:]
		} else {
			rest = nil
		}
		if len(elem) > 0 || len(rest) == 0 {
			return elem, rest
		}
		b = rest
	}
}

// ParseDecimal parses 1*DIGIT (as in Content-Length or a byte range) into
// a non-negative int64, rejecting empty input, signs, spaces and values
// that overflow. Leading zeros are allowed.
func ParseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
