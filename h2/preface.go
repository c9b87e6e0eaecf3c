package h2

import (
	"encoding/base64"
	"encoding/binary"
	"errors"

	"golang.org/x/net/http2"
)

// MatchPreface tells whether b, the first bytes of a cleartext connection,
// begins the HTTP/2 connection preface: all of it (full), or as far as b
// goes (more is needed to tell). Only the preface's first line need be
// matched to rule out HTTP/1.1, since "PRI * HTTP/2.0" is no valid
// HTTP/1.1 request line.
func MatchPreface(b []byte) (full, partial bool) {
	n := min(len(b), len(ClientPreface))
	if string(b[:n]) != ClientPreface[:n] {
		return false, false
	}
	return n == len(ClientPreface), n < len(ClientPreface)
}

// ErrBadSettings is ParseSettings's error for a malformed HTTP2-Settings.
var ErrBadSettings = errors.New("h2: bad HTTP2-Settings header field")

// ParseSettings decodes the value of an HTTP2-Settings field (RFC 7540
// §3.2.1): a SETTINGS payload in base64url, padding optional. The settings
// are checked as a SETTINGS frame's would be.
func ParseSettings(v []byte) ([]http2.Setting, error) {
	for len(v) > 0 && v[len(v)-1] == '=' {
		v = v[:len(v)-1]
	}
	if len(v) > 4096 {
		return nil, ErrBadSettings
	}
	raw := make([]byte, base64.RawURLEncoding.DecodedLen(len(v)))
	n, err := base64.RawURLEncoding.Decode(raw, v)
	if err != nil || n%6 != 0 {
		return nil, ErrBadSettings
	}
	raw = raw[:n]
	list := make([]http2.Setting, 0, n/6)
	for i := 0; i < n; i += 6 {
		s := http2.Setting{ID: http2.SettingID(binary.BigEndian.Uint16(raw[i:])), Val: binary.BigEndian.Uint32(raw[i+2:])}
		if s.Valid() != nil {
			return nil, ErrBadSettings
		}
		list = append(list, s)
	}
	return list, nil
}
