package cgienv

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/brick-server/brick/wire"
)

// ResponseHead is the CGI part of a script's header block (RFC 3875 §6.3):
// the three fields the server acts on, apart from those it passes on.
// Location and ContentType alias the block that was parsed.
type ResponseHead struct {
	// Status is the Status field's code; 0 when there is none.
	Status int
	// Location is the Location field's value; nil when there is none.
	Location []byte
	// ContentType is the Content-Type field's value; nil when none.
	ContentType []byte
}

// LocalRedirect reports whether the script asks the server to serve
// another of its own paths instead (RFC 3875 §6.2.2): a Location that is a
// path, with no Status of its own. With a Status, the path is a redirect
// the client follows, as Apache has it.
func (r *ResponseHead) LocalRedirect() bool {
	return r.Status == 0 && len(r.Location) > 0 && r.Location[0] == '/'
}

// Code returns the status to send the client: the script's, else 302 when
// it sent a Location (RFC 3875 §6.2.3), else 200.
func (r *ResponseHead) Code() int {
	switch {
	case r.Status != 0:
		return r.Status
	case r.Location != nil:
		return 302
	}
	return 200
}

// MaxResponseFields bounds the fields of one header block.
const MaxResponseFields = 100

// HeadEnd finds the empty line that ends the header block at the start of
// buf (RFC 3875 §6.3: lines end in LF or CRLF). It returns the length of
// the block without that line and where the body starts, or -1, -1 when
// buf holds no complete block yet.
func HeadEnd(buf []byte) (block, body int) {
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

// ParseResponseHead parses a header block without its closing empty line
// (what HeadEnd delimits), by the field rules of HTTP (RFC 9110 §5, RFC
// 9112 §5) that package wire applies to requests: a name is a token with
// no space before the colon, a value has no control character but HTAB (so
// no CR or LF can split it into a second field), no line folding. It then
// checks the CGI rules (RFC 3875 §6.3): at least one of Content-Type,
// Location and Status, each at most once; Status a code from 200 to 999
// with an optional reason phrase; Location of visible ASCII, a path ("/x?q",
// a local redirect) or an absolute URI, or with a Status of its own any
// reference HTTP allows (RFC 9110 §10.2.2: PHP sends "Status: 302" with
// whatever header('Location: ...') named); Content-Length a decimal, at
// most once.
//
// Every field but Status is added to h in order, Content-Type and Location
// included; those that frame the message or manage the connection
// (Connection, Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection,
// TE, Trailer) are the server's and dropped. Every problem is an error
// saying what the script sent; h may then hold some fields. Nothing is
// allocated unless h grows or the block is refused.
func ParseResponseHead(block []byte, h *wire.Header) (ResponseHead, error) {
	var r ResponseHead
	seenLength := false
	for n := 0; len(block) > 0; n++ {
		var line []byte
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			line, block = block, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if n == MaxResponseFields {
			return r, fmt.Errorf("more than %d header fields", MaxResponseFields)
		}
		if len(line) == 0 {
			return r, errors.New("empty line inside the header block")
		}
		if line[0] == ' ' || line[0] == '\t' {
			return r, fmt.Errorf("folded header line %s (obsolete line folding is not accepted)", quote(line))
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return r, fmt.Errorf("header line %s has no colon", quote(line))
		}
		name, value := line[:colon], wire.TrimOWS(line[colon+1:])
		if !wire.IsToken(name) {
			return r, fmt.Errorf("header line %s: the name is not a token (letters, digits and !#$%%&'*+-.^_`|~, nothing before the colon)", quote(line))
		}
		if !wire.IsFieldValue(value) {
			return r, fmt.Errorf("header %s: the value holds a control character (CR, NUL, ...)", quote(name))
		}
		switch {
		case wire.EqualFold(name, "Status"):
			if r.Status != 0 {
				return r, errors.New("two Status fields")
			}
			code, err := parseStatus(value)
			if err != nil {
				return r, err
			}
			r.Status = code
			continue
		case wire.EqualFold(name, "Location"):
			if r.Location != nil {
				return r, errors.New("two Location fields")
			}
			r.Location = value
		case wire.EqualFold(name, "Content-Type"):
			if r.ContentType != nil {
				return r, errors.New("two Content-Type fields")
			}
			if len(value) == 0 {
				return r, errors.New("empty Content-Type")
			}
			r.ContentType = value
		case wire.EqualFold(name, "Content-Length"):
			if seenLength {
				return r, errors.New("two Content-Length fields")
			}
			seenLength = true
			if _, ok := wire.ParseDecimal(value); !ok {
				return r, fmt.Errorf("Content-Length %s is not a decimal number of bytes", quote(value))
			}
		case connectionField(name):
			// Framing and connection management are the server's: it
			// frames the body it relays, whatever the script claims.
			continue
		}
		h.AddBytes(name, value)
	}
	if r.Status == 0 && r.Location == nil && r.ContentType == nil {
		return r, errors.New("the header block has no Content-Type, Location or Status field")
	}
	if r.Location != nil {
		if err := checkLocation(r.Location, r.Status != 0); err != nil {
			return r, err
		}
	}
	return r, nil
}

// parseStatus reads a Status value: three digits, then optionally a space
// and a reason phrase, which is not kept (the server sends its own).
func parseStatus(v []byte) (int, error) {
	if len(v) < 3 || len(v) > 3 && v[3] != ' ' {
		return 0, fmt.Errorf("Status %s is not a three-digit code with an optional reason", quote(v))
	}
	code := 0
	for _, c := range v[:3] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("Status %s is not a three-digit code with an optional reason", quote(v))
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 {
		return 0, fmt.Errorf("Status %d is not a final status (200 to 999)", code)
	}
	return code, nil
}

// connectionField reports the fields that frame the message or manage the
// connection (RFC 9110 §7.6.1, RFC 9112 §6), which the server writes
// itself. Content-Length is not among them: it is checked and passed on,
// for the gateway to use or drop.
func connectionField(name []byte) bool {
	for _, s := range [...]string{"Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade",
		"Proxy-Connection", "TE", "Trailer"} {
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
