package cgi

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"

	"github.com/brick-server/brick/wire"
)

// Head is a script's header block (RFC 3875 §6.3), parsed: the three CGI
// fields apart, the others to be sent to the client in order.
type Head struct {
	// Status is the Status field's code; 0 when there is none.
	Status int
	// Location is the Location field's value; "" when there is none.
	Location string
	// ContentType is the Content-Type field's value; "" when none.
	ContentType string
	// Fields are the other fields, in order, minus those that frame the
	// message or manage the connection, which are the server's.
	Fields []Field
}

// Field is one header field of a script's response.
type Field struct{ Name, Value string }

// LocalRedirect reports whether the script asks the server to serve
// another of its own paths instead (RFC 3875 §6.2.2): a Location that is a
// path, with no Status of its own. With a Status, the path is a redirect
// the client follows, as Apache has it.
func (h *Head) LocalRedirect() bool {
	return h.Status == 0 && len(h.Location) > 0 && h.Location[0] == '/'
}

// maxFields bounds the fields of one header block.
const maxFields = 100

// ErrNoHeader means the script's output has no header block: it ended
// before the empty line that closes one.
var ErrNoHeader = errors.New("cgi: the script's output ended before the empty line that ends its header block")

// headerEnd finds the empty line that ends the header block at the start
// of buf (RFC 3875 §6.3: lines end in LF or CRLF). It returns the length
// of the block without that line and where the body starts, or -1, -1
// when buf holds no complete block yet.
func headerEnd(buf []byte) (block, body int) {
	for start := 0; start < len(buf); {
		switch {
		case buf[start] == '\n':
			return start, start + 1
		case buf[start] == '\r' && start+1 < len(buf) && buf[start+1] == '\n':
			return start, start + 2
		}
		i := bytes.IndexByte(buf[start:], '\n')
		if i < 0 {
			break
		}
		start += i + 1
	}
	return -1, -1
}

// ParseHeader parses a header block without its closing empty line, by
// the field rules of HTTP (RFC 9110 §5, RFC 9112 §5) that package wire
// applies to requests: a name is a token with no space before the colon,
// a value has no control character but HTAB (so no CR or LF can split it
// into a second field), no line folding. It then checks the CGI rules
// (RFC 3875 §6.3): at least one of Content-Type, Location and Status,
// each at most once; Status a code from 200 to 999 with an optional
// reason phrase; Location a path ("/x?q", a local redirect) or an
// absolute URI, made of visible ASCII. Every problem is an error saying
// what the script sent.
func ParseHeader(block []byte) (Head, error) {
	var h Head
	var seenStatus, seenLocation, seenType bool
	for n := 0; len(block) > 0; n++ {
		var line []byte
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			line, block = block, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if n == maxFields {
			return h, fmt.Errorf("cgi: more than %d header fields", maxFields)
		}
		if len(line) == 0 {
			return h, errors.New("cgi: empty line inside the header block")
		}
		if line[0] == ' ' || line[0] == '\t' {
			return h, fmt.Errorf("cgi: folded header line %s (obsolete line folding is not accepted)", quote(line))
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return h, fmt.Errorf("cgi: header line %s has no colon", quote(line))
		}
		name, value := line[:colon], wire.TrimOWS(line[colon+1:])
		if !wire.IsToken(name) {
			return h, fmt.Errorf("cgi: header line %s: the name is not a token (letters, digits and !#$%%&'*+-.^_`|~, nothing before the colon)", quote(line))
		}
		if !wire.IsFieldValue(value) {
			return h, fmt.Errorf("cgi: header %s: the value holds a control character (CR, NUL, ...)", quote(name))
		}
		switch {
		case wire.EqualFold(name, "Status"):
			if seenStatus {
				return h, errors.New("cgi: two Status fields")
			}
			seenStatus = true
			code, err := parseStatus(value)
			if err != nil {
				return h, err
			}
			h.Status = code
		case wire.EqualFold(name, "Location"):
			if seenLocation {
				return h, errors.New("cgi: two Location fields")
			}
			seenLocation = true
			if err := checkLocation(value); err != nil {
				return h, err
			}
			h.Location = string(value)
		case wire.EqualFold(name, "Content-Type"):
			if seenType {
				return h, errors.New("cgi: two Content-Type fields")
			}
			seenType = true
			if len(value) == 0 {
				return h, errors.New("cgi: empty Content-Type")
			}
			h.ContentType = string(value)
		case serverField(name):
			// Framing and connection management are the server's: it
			// frames the body it relays, whatever the script claims.
		default:
			h.Fields = append(h.Fields, Field{string(name), string(value)})
		}
	}
	if !seenStatus && !seenLocation && !seenType {
		return h, errors.New("cgi: the header block has no Content-Type, Location or Status field")
	}
	return h, nil
}

// parseStatus reads a Status value: three digits, then optionally a space
// and a reason phrase, which is not kept (the server sends its own).
func parseStatus(v []byte) (int, error) {
	if len(v) < 3 || len(v) > 3 && v[3] != ' ' {
		return 0, fmt.Errorf("cgi: Status %s is not a three-digit code with an optional reason", quote(v))
	}
	code := 0
	for _, c := range v[:3] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("cgi: Status %s is not a three-digit code with an optional reason", quote(v))
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 {
		return 0, fmt.Errorf("cgi: Status %d is not a final status (200 to 999)", code)
	}
	return code, nil
}

// checkLocation accepts a local path with an optional query (RFC 3875
// §6.2.2; "//" would be read as a host by a client) or an absolute URI
// (§6.2.3), of visible ASCII only: anything else must be percent-encoded.
func checkLocation(v []byte) error {
	if len(v) == 0 {
		return errors.New("cgi: empty Location")
	}
	for _, c := range v {
		if c <= ' ' || c >= 0x7f {
			return fmt.Errorf("cgi: Location %s holds a space or a byte that is not ASCII; percent-encode it", quote(v))
		}
	}
	if v[0] == '/' {
		switch {
		case len(v) > 1 && (v[1] == '/' || v[1] == '\\'):
			return fmt.Errorf("cgi: Location %s starts with two slashes: neither a local path nor an absolute URI", quote(v))
		case bytes.IndexByte(v, '#') >= 0:
			return fmt.Errorf("cgi: local Location %s has a fragment", quote(v))
		}
		return nil
	}
	u, err := url.Parse(string(v))
	if err != nil || u.Scheme == "" || u.Opaque == "" && u.Host == "" {
		return fmt.Errorf("cgi: Location %s is neither a path nor an absolute URI (scheme://host/...)", quote(v))
	}
	return nil
}

// serverField reports the fields the server writes itself (RFC 9110 §7.6.1
// and the message framing of RFC 9112 §6).
func serverField(name []byte) bool {
	for _, s := range [...]string{"Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
		"Upgrade", "TE", "Trailer", "Proxy-Connection"} {
		if wire.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// quote quotes what a script sent for a log line, cut to a readable length.
func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
