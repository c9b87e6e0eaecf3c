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

// RequestHead is a parsed request head: data only, filled by a
// RequestParser. Its byte slices are views into the buffer given to Parse
// and are valid only while that buffer is unchanged.
type RequestHead struct {
	// Method is the request method, a case-sensitive token (RFC 9110 §9.1).
	Method []byte
	// Target is the request-target exactly as received.
	Target []byte
	// Form is which of the four forms Target takes (RFC 9112 §3.2).
	Form TargetForm
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
	// Header holds the field lines in order, as views into the buffer.
	Header Header
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
}

// ProtoAtLeast reports whether the request's version is at least major.minor.
func (r *RequestHead) ProtoAtLeast(major, minor int) bool {
	return r.Major > major || r.Major == major && r.Minor >= minor
}

// RequestParser parses request heads into a RequestHead. Its only state is
// where the search for the end of a partial head resumes, so one parser
// serves a connection's requests one after the other; the zero value is
// ready to use. It is kept apart from RequestHead so that code handed a
// parsed head (a handler) cannot parse into it or move the parser.
type RequestParser struct {
	scan int // where the search for the end of the head resumes
}

// Parse parses one request head from the start of buf into r. On success it
// returns the number of bytes the head took (the body, if any, starts there)
// and has overwritten every field of r. When buf holds only part of a head
// it returns ErrNeedMore and leaves r alone; call again with a longer buf
// that starts with the same bytes: the search resumes where it stopped, so a
// head that trickles in byte by byte costs linear time. Any other error is
// an *Error whose status should be sent before closing the connection.
//
// A partial head is rejected as soon as it breaks the request-line grammar
// or a limit, and the verdict never depends on how the input was split:
// every split of the same bytes gives the same result as the whole.
func (p *RequestParser) Parse(r *RequestHead, buf []byte, lim *Limits) (int, error) {
	l := lim.withDefaults()
	start, err := skipEmptyLines(buf)
	if err != nil {
		p.scan = 0
		return 0, err
	}
	head := buf[start:]
	resume := p.scan
	if resume < 0 || resume > len(head) {
		// Not from this head (a caller's ResumeAt gone wrong): start over
		// rather than index out of range or skip bytes.
		resume = 0
	}
	p.scan = resume
	end := p.findHeadEnd(head)
	if end < 0 || end > l.MaxHeaderBytes {
		err := incomplete(head, resume, &l)
		if err != ErrNeedMore {
			p.scan = 0
		}
		return 0, err
	}
	p.scan = 0
	n, err := r.parseHead(head[:end], &l)
	if err != nil {
		return 0, err
	}
	return start + n, nil
}

// maxLeadingEmptyLines bounds the empty lines skipped before a request-line.
// RFC 9112 §2.2 asks a server to ignore at least one (old clients sent a CRLF
// after a POST body); a few are generous, and the bound keeps each call on a
// trickling head from rescanning an unbounded prefix.
const maxLeadingEmptyLines = 8

// skipEmptyLines returns the length of the empty lines (CRLF or bare LF)
// that start buf, or ErrNeedMore when buf holds nothing else yet.
func skipEmptyLines(buf []byte) (int, error) {
	i := 0
	for lines := 0; i < len(buf); lines++ {
		if lines == maxLeadingEmptyLines {
			return 0, ErrBadRequestLine
		}
		switch {
		case buf[i] == '\n':
			i++
		case buf[i] == '\r' && i+1 == len(buf):
			return 0, ErrNeedMore
		case buf[i] == '\r' && buf[i+1] == '\n':
			i += 2
		default:
			return i, nil
		}
	}
	return 0, ErrNeedMore
}

// findHeadEnd returns the length of the head including the blank line that
// ends it, or -1. It resumes from p.scan, before which no line of b ends a
// head, so repeated calls stay linear.
func (p *RequestParser) findHeadEnd(b []byte) int {
	i := p.scan
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			// Keep the last bytes: "\n\r" may be completed by the next read.
			p.scan = max(0, len(b)-2)
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
			p.scan = max(0, i-1)
			return -1
		}
	}
}

// incomplete decides between waiting for more bytes and rejecting a head
// that can already be seen to break a limit or the request-line grammar.
// It judges only the first MaxHeaderBytes+1 bytes: that is all a complete
// head over the limit is judged on too, which keeps the verdict the same
// however the head was split. from is where the previous call stopped.
func incomplete(head []byte, from int, l *Limits) error {
	if len(head) > l.MaxHeaderBytes {
		head = head[:l.MaxHeaderBytes+1]
	}
	line, complete := head, false
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line, complete = trimCR(head[:i]), true
	}
	if _, _, err := checkRequestLine(line, complete, min(from, len(line)), l); err != nil {
		return err
	}
	if len(head) > l.MaxHeaderBytes {
		return ErrHeaderTooLarge
	}
	return ErrNeedMore
}

func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// parseHead parses a complete head: request line, fields, blank line. It
// returns the length up to and including the first blank line, which it
// finds itself rather than trusting the caller's search.
func (r *RequestHead) parseHead(head []byte, l *Limits) (int, error) {
	h := r.Header
	h.Reset()
	*r = RequestHead{Header: h}
	i := bytes.IndexByte(head, '\n')
	if err := r.parseRequestLine(trimCR(head[:i]), l); err != nil {
		return 0, err
	}
	var st fieldState
	pos, err := parseFieldLines(head, i+1, &r.Header, l.MaxHeaderCount, &st)
	if err != nil {
		return 0, err
	}
	if err := r.decideFraming(&st); err != nil {
		return 0, err
	}
	return pos, nil
}

// parseFieldLines reads the field lines of a message head from pos, each
// ending in LF (a CR before it dropped), up to and including the empty
// line that ends the head, which the caller has found: the head is known
// to hold it. Fields go into h as views of head and are noted in st for
// the framing decision. It returns where the body starts, or ErrObsFold,
// ErrTooManyHeaders or parseFieldLine's error; requests and responses
// share it, and a response maps the errors to its own 502s.
func parseFieldLines(head []byte, pos int, h *Header, maxCount int, st *fieldState) (int, error) {
	for {
		j := bytes.IndexByte(head[pos:], '\n')
		line := trimCR(head[pos : pos+j])
		pos += j + 1
		if len(line) == 0 {
			return pos, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			// RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace after the
			// start line): both are rejected rather than guessed at.
			return 0, ErrObsFold
		}
		if h.Len() >= maxCount {
			return 0, ErrTooManyHeaders
		}
		name, value, err := parseFieldLine(line)
		if err != nil {
			return 0, err
		}
		h.appendView(name, value)
		st.note(name, value)
	}
}

// parseFieldLine splits one field line (RFC 9112 §5) into its name and its
// value without surrounding whitespace, checking both.
func parseFieldLine(line []byte) (name, value []byte, err error) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, ErrBadHeaderName
	}
	name = line[:colon]
	if c := name[len(name)-1]; c == ' ' || c == '\t' {
		// RFC 9112 §5.1: a server MUST reject whitespace before the colon.
		return nil, nil, ErrSpaceBeforeColon
	}
	for _, c := range name {
		if !tokenTable[c] {
			return nil, nil, byteError(c, ErrBadHeaderName)
		}
	}
	value = TrimOWS(line[colon+1:])
	for _, c := range value {
		if !valueTable[c] {
			return nil, nil, byteError(c, ErrBadHeaderValue)
		}
	}
	return name, value, nil
}
