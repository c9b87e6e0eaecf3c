package fastcgi

import (
	"bytes"
	"errors"

	"github.com/brick-server/brick/wire"
)

// maxHead bounds the header block a script may send before its body.
const maxHead = 64 << 10

// headEnd returns the length of the header block at the start of b, blank
// line included (CGI lines end in "\n" or "\r\n", RFC 3875 §6.2), or -1
// when b does not hold all of it yet.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		line := b[i : i+j]
		i += j + 1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return i
		}
	}
}

// errHead is the error of a header block that is not CGI's.
var errHead = errors.New("fastcgi: the script sent a malformed header block")

// dropped are the fields a script may not set: the server frames the
// message and manages the connection (RFC 9110 §7.6.1).
var dropped = []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer"}

// parseHead reads a CGI response header block (RFC 3875 §6.3), without its
// blank line, into h and returns the status: the Status field's code, else
// 302 when there is a Location (§6.3.3), else 200. Every line must be a
// field with a token name and a valid value; anything else is errHead, so
// no line of a script's output can become two fields or a status line.
func parseHead(block []byte, h *wire.Header) (int, error) {
	status := 0
	location := false
	for len(block) > 0 {
		i := bytes.IndexByte(block, '\n')
		line := block
		if i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !wire.IsToken(line[:colon]) {
			return 0, errHead
		}
		name, value := line[:colon], wire.TrimOWS(line[colon+1:])
		if !wire.IsFieldValue(value) {
			return 0, errHead
		}
		switch {
		case wire.EqualFold(name, "Status"):
			if status != 0 || len(value) < 3 || len(value) > 3 && value[3] != ' ' {
				return 0, errHead
			}
			n, ok := wire.ParseDecimal(value[:3])
			if !ok || n < 200 || n > 599 {
				return 0, errHead
			}
			status = int(n)
			continue
		case wire.EqualFold(name, "Location"):
			location = true
		case wire.EqualFold(name, "Content-Length"):
			if _, ok := wire.ParseDecimal(value); !ok {
				return 0, errHead
			}
		case isDropped(name):
			continue
		}
		h.AddBytes(name, value)
	}
	switch {
	case status != 0:
		return status, nil
	case location:
		return 302, nil
	}
	return 200, nil
}

func isDropped(name []byte) bool {
	for _, d := range dropped {
		if wire.EqualFold(name, d) {
			return true
		}
	}
	return false
}
