package wire

import "bytes"

// TargetForm is the form of a request-target (RFC 9112 §3.2).
type TargetForm uint8

// The four request-target forms.
const (
	OriginForm    TargetForm = iota // "/path?query": the usual form
	AbsoluteForm                    // "http://host/path": sent to proxies, accepted by servers
	AuthorityForm                   // "host:port": only for CONNECT
	AsteriskForm                    // "*": only for OPTIONS
)

// Limits bounds what the parser accepts; zero fields take the defaults.
type Limits struct {
	// MaxTargetBytes bounds the request-target; longer is 414.
	MaxTargetBytes int
	// MaxHeaderBytes bounds the whole request head (request line, header
	// fields and the blank line); larger is 431.
	MaxHeaderBytes int
	// MaxHeaderCount bounds the number of header field lines; more is 431.
	MaxHeaderCount int
}

// Default limits, close to what nginx and Go's net/http accept.
const (
	DefaultMaxTargetBytes = 8 << 10
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxHeaderCount = 100
)

func (l *Limits) withDefaults() Limits {
	out := Limits{DefaultMaxTargetBytes, DefaultMaxHeaderBytes, DefaultMaxHeaderCount}
	if l != nil {
		if l.MaxTargetBytes > 0 {
			out.MaxTargetBytes = l.MaxTargetBytes
		}
		if l.MaxHeaderBytes > 0 {
			out.MaxHeaderBytes = l.MaxHeaderBytes
		}
		if l.MaxHeaderCount > 0 {
			out.MaxHeaderCount = l.MaxHeaderCount
		}
	}
	return out
}

// Request is a parsed request head. Its byte slices are views into the
// buffer given to Parse and are valid only while that buffer is unchanged.
type Request struct {
	Method []byte
	// Target is the request-target exactly as received.
	Target []byte
	Form   TargetForm
	// Path is the path of an origin- or absolute-form target, still
	// percent-encoded; "*" for the asterisk form; empty for CONNECT.
	Path []byte
	// Query is what follows the first '?' of the target, without the '?';
	// nil when the target has no '?'.
	Query []byte
	// Proto is the HTTP-version as received, such as "HTTP/1.1".
	Proto []byte
	// Major and Minor are the version numbers. A higher 1.x minor version is
	// reported as 1.1, as RFC 9110 §6.2 asks recipients to treat it.
	Major, Minor int
	Header       Header
	// Host is the authority the request is for: the absolute- or
	// authority-form target's, else the Host field's value (RFC 9112 §3.2.2).
	Host []byte
	// ContentLength is the body length: 0 when there is no body, -1 when
	// the body is chunked.
	ContentLength int64
	// Chunked is true when the body uses the chunked transfer coding.
	Chunked bool
	// Close is true when the connection must close after the response: an
	// HTTP/1.1 "Connection: close", or HTTP/1.0 without "keep-alive".
	Close bool
	// Expect100 is true when an HTTP/1.1 client waits for 100 Continue
	// before sending the body (RFC 9110 §10.1.1).
	Expect100 bool

	scan int // where the search for the end of the head resumes
}

// Reset clears r for the next request, keeping its memory.
func (r *Request) Reset() {
	h := r.Header
	h.Reset()
	*r = Request{Header: h}
}

// ProtoAtLeast reports whether the request's version is at least major.minor.
func (r *Request) ProtoAtLeast(major, minor int) bool {
	return r.Major > major || r.Major == major && r.Minor >= minor
}

// Parse parses one request head from the start of buf. On success it returns
// the number of bytes the head took (the body, if any, starts there). When
// buf holds only part of a head it returns ErrNeedMore; call again with the
// same r and a longer buf: the search resumes where it stopped, so a head
// that trickles in byte by byte costs linear time. Any other error is an
// *Error whose status should be sent before closing the connection.
func (r *Request) Parse(buf []byte, lim *Limits) (int, error) {
	l := lim.withDefaults()
	// RFC 9112 §2.2: ignore empty lines received before the request-line.
	start := 0
	for start < len(buf) && (buf[start] == '\n' || buf[start] == '\r' && start+1 < len(buf) && buf[start+1] == '\n') {
		start++
		if buf[start-1] == '\r' {
			start++
		}
		if start > l.MaxHeaderBytes {
			return 0, ErrHeaderTooLarge
		}
	}
	if start < len(buf) && buf[start] == '\r' && start+1 == len(buf) {
		return 0, ErrNeedMore
	}
	head := buf[start:]
	end := r.findHeadEnd(head)
	if end < 0 {
		return 0, r.incomplete(head, &l)
	}
	if end > l.MaxHeaderBytes {
		return 0, r.incomplete(head[:end], &l)
	}
	r.scan = 0
	if err := r.parseHead(head[:end], &l); err != nil {
		return 0, err
	}
	return start + end, nil
}

// findHeadEnd returns the length of the head including the blank line that
// ends it, or -1. It resumes from r.scan so repeated calls stay linear.
func (r *Request) findHeadEnd(b []byte) int {
	i := r.scan
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			// Keep the last bytes: "\n\r" may be completed by the next read.
			r.scan = max(0, len(b)-2)
			return -1
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
		if i+1 >= len(b) {
			r.scan = max(0, i-1)
			return -1
		}
	}
}

// incomplete decides between waiting for more bytes and rejecting a head
// that can already be seen to break a limit or the request-line grammar.
func (r *Request) incomplete(head []byte, l *Limits) error {
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
		var tmp Request
		if err := tmp.parseRequestLine(trimCR(line), l); err != nil {
			return err
		}
	} else {
		sp := bytes.IndexByte(line, ' ')
		switch {
		case sp < 0 && len(line) > maxMethodBytes:
			return ErrBadMethod
		case sp >= 0 && !IsToken(line[:sp]):
			return ErrBadMethod
		case sp >= 0 && len(line)-sp-1 > l.MaxTargetBytes+len(" HTTP/1.1\r"):
			return ErrTargetTooLong
		}
	}
	if len(head) > l.MaxHeaderBytes {
		return ErrHeaderTooLarge
	}
	return ErrNeedMore
}

// maxMethodBytes bounds a method before its space arrives; the longest
// registered method is 17 bytes (UPDATEREDIRECTREF).
const maxMethodBytes = 64

func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// parseHead parses a complete head: request line, fields, blank line.
func (r *Request) parseHead(head []byte, l *Limits) error {
	i := bytes.IndexByte(head, '\n')
	if err := r.parseRequestLine(trimCR(head[:i]), l); err != nil {
		return err
	}
	var st fieldState
	rest := head[i+1:]
	for {
		j := bytes.IndexByte(rest, '\n')
		line := trimCR(rest[:j])
		rest = rest[j+1:]
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace after the
			// request-line): both are rejected rather than guessed at.
			return ErrObsFold
		}
		if r.Header.Len() >= l.MaxHeaderCount {
			return ErrTooManyHeaders
		}
		if err := r.parseField(line, &st); err != nil {
			return err
		}
	}
	return r.decideFraming(&st)
}

// parseField parses one field line (RFC 9112 §5) and notes the fields that
// decide framing and connection handling.
func (r *Request) parseField(line []byte, st *fieldState) error {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return ErrBadHeaderName
	}
	name := line[:colon]
	if c := name[len(name)-1]; c == ' ' || c == '\t' {
		return ErrSpaceBeforeColon
	}
	for _, c := range name {
		if !tokenTable[c] {
			return ErrBadHeaderName
		}
	}
	value := trimOWS(line[colon+1:])
	for _, c := range value {
		if !valueTable[c] {
			if c == '\r' {
				return ErrBareCR
			}
			return ErrBadHeaderValue
		}
	}
	r.Header.appendView(name, value)
	st.note(name, value)
	return nil
}
