package cgienv

import (
	"bytes"
	"errors"
	"fmt"
)

// checkLocation accepts, of visible ASCII only (anything else must be
// percent-encoded, with valid escapes), a local path with an optional
// query (RFC 3875 §6.2.2; "//" would be read as a host by a client) or an
// absolute URI (§6.2.3). With a Status the response is the script's own
// and Location goes to the client as HTTP has it (RFC 9110 §10.2.2), so a
// relative reference ("login.php", "?page=2") and a fragment are accepted
// too: PHP adds "Status: 302" to every header('Location: ...') a script
// sends, relative or not. It allocates only for its error.
func checkLocation(v []byte, withStatus bool) error {
	if len(v) == 0 {
		return errors.New("empty Location")
	}
	for i, c := range v {
		if c <= ' ' || c >= 0x7f {
			return fmt.Errorf("Location %s holds a space or a byte that is not ASCII; percent-encode it", quote(v))
		}
		if c == '%' && (i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2])) {
			return fmt.Errorf("Location %s has a %% not followed by two hex digits; write %%25 for a %%", quote(v))
		}
	}
	if v[0] == '/' {
		switch {
		case len(v) > 1 && (v[1] == '/' || v[1] == '\\'):
			return fmt.Errorf("Location %s starts with two slashes: neither a local path nor an absolute URI", quote(v))
		case !withStatus && bytes.IndexByte(v, '#') >= 0:
			return fmt.Errorf("local Location %s has a fragment", quote(v))
		}
		return nil
	}
	if n := schemeLen(v); n > 0 {
		rest := v[n+1:]
		if len(rest) >= 2 && rest[0] == '/' && rest[1] == '/' {
			if host := rest[2:]; len(host) > 0 && host[0] != '/' && host[0] != '?' && host[0] != '#' {
				return nil
			}
		} else if len(rest) > 0 && rest[0] != '/' && rest[0] != '?' && rest[0] != '#' {
			return nil // opaque, as mailto:a@example.com
		}
		return fmt.Errorf("Location %s is neither a path nor an absolute URI (scheme://host/...)", quote(v))
	}
	first := v[:segmentEnd(v)]
	if !withStatus || bytes.IndexByte(first, ':') >= 0 {
		return fmt.Errorf("Location %s is neither a path nor an absolute URI (scheme://host/...)", quote(v))
	}
	return nil
}

// schemeLen returns the length of the URI scheme v starts with, when a
// colon follows it (RFC 3986 §3.1), else 0.
func schemeLen(v []byte) int {
	for i, c := range v {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return i
		default:
			return 0
		}
	}
	return 0
}

// segmentEnd returns where the first path segment of v ends.
func segmentEnd(v []byte) int {
	for i, c := range v {
		if c == '/' || c == '?' || c == '#' {
			return i
		}
	}
	return len(v)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
