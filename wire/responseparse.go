package wire

import "bytes"

// BodyFraming is how a received response's body is delimited
// (RFC 9112 §6.3).
type BodyFraming uint8

// The four ways a response body ends.
const (
	// NoBody: the response has no body (a 1xx, 204 or 304 status, or the
	// answer to HEAD), whatever its fields say.
	NoBody BodyFraming = iota
	// LengthBody: the body is Content-Length bytes long.
	LengthBody
	// ChunkedBody: the body uses the chunked transfer coding.
	ChunkedBody
	// CloseBody: the body runs until the connection closes; a cut
	// connection cannot be told from the body's end.
	CloseBody
)

// ReceivedResponse is a parsed response head, as a client (a proxy
// reading its upstream) receives it: data only, filled by
// ParseResponse. Its byte slices are views into the buffer given to
// ParseResponse, valid while that buffer is unchanged.
type ReceivedResponse struct {
	// Status is the three-digit status code.
	Status int
	// Reason is the reason phrase, possibly empty.
	Reason []byte
	// Major and Minor are the version numbers; a higher 1.x minor is
	// reported as 1.1 (RFC 9110 §6.2).
	Major, Minor int
	// Header holds the field lines in order, as views into the buffer.
	Header Header
	// ContentLength is the Content-Length value, or -1 when there is
	// none or Transfer-Encoding overrides it.
	ContentLength int64
	// Chunked is true when chunked is the final transfer coding.
	Chunked bool
	// Close is true when the connection cannot carry another request
	// after this response: "Connection: close", HTTP/1.0 without
	// "keep-alive", a body delimited by closing, or a Transfer-Encoding
	// beside a Content-Length (RFC 9112 §6.1 asks to close then).
	Close bool
	// teNotChunked: a Transfer-Encoding whose final coding is not
	// chunked, which delimits the body by closing (RFC 9112 §6.3 item 4).
	teNotChunked bool
}

// Response-head errors. Their Status is what a proxy answers its own
// client with: 502, the upstream sent something unusable.
var (
	ErrBadStatusLine        = &Error{502, "malformed status line"}
	ErrResponseHeadTooLarge = &Error{502, "response head too large"}
	ErrBadResponseField     = &Error{502, "malformed response header field"}
	ErrBadResponseLength    = &Error{502, "invalid Content-Length in response"}
	ErrBadResponseCoding    = &Error{502, "malformed Transfer-Encoding in response"}
)

// ParseResponse parses one response head from the start of buf into p
// and returns the number of bytes it took. It returns ErrNeedMore while
// buf holds only part of a head (call again with a longer buf starting
// with the same bytes), and an *Error for a head that cannot be relayed
// safely. lim bounds the head's size and field count as for requests
// (MaxTargetBytes is unused).
//
// It is stricter than RFC 9112 asks of clients in the ways that protect
// a proxy: obs-fold, whitespace before a colon, a bare CR, conflicting or
// malformed Content-Length values and malformed transfer codings are all
// errors rather than guesses, since a guess the next hop makes
// differently is a response-splitting risk.
func ParseResponse(p *ReceivedResponse, buf []byte, lim *Limits) (int, error) {
	l := lim.withDefaults()
	end := headEnd(buf)
	if end < 0 {
		if len(buf) > l.MaxHeaderBytes {
			return 0, ErrResponseHeadTooLarge
		}
		// Refuse what cannot become a status line without waiting for
		// more: a CR that ends the input may still be followed by LF.
		if i := bytes.IndexByte(buf, '\n'); i < 0 && !statusLinePrefixOK(trimCR(buf)) {
			return 0, ErrBadStatusLine
		} else if i >= 0 {
			if line := trimCR(buf[:i]); len(line) < 12 || !statusLinePrefixOK(line) {
				return 0, ErrBadStatusLine
			}
		}
		return 0, ErrNeedMore
	}
	if end > l.MaxHeaderBytes {
		return 0, ErrResponseHeadTooLarge
	}
	h := p.Header
	h.Reset()
	*p = ReceivedResponse{Header: h, ContentLength: -1}
	head := buf[:end]
	i := bytes.IndexByte(head, '\n')
	if err := p.parseStatusLine(trimCR(head[:i])); err != nil {
		return 0, err
	}
	var st fieldState
	pos, err := parseFieldLines(head, i+1, &p.Header, l.MaxHeaderCount, &st)
	switch {
	case err == ErrTooManyHeaders:
		return 0, ErrResponseHeadTooLarge
	case err != nil:
		return 0, ErrBadResponseField
	}
	if err := p.decideFraming(&st); err != nil {
		return 0, err
	}
	return pos, nil
}

// headEnd returns the length of the head including the blank line that
// ends it, or -1 when buf holds no complete head.
func headEnd(b []byte) int {
	i := 0
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
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
			return -1
		}
	}
}

// statusLinePrefixOK reports whether b can still begin a valid status
// line, so that garbage is refused without waiting for a line end.
func statusLinePrefixOK(b []byte) bool {
	const pattern = "HTTP/D.D DDD"
	for i, c := range b {
		if i >= len(pattern) {
			return true
		}
		switch pattern[i] {
		case 'D':
			if c < '0' || c > '9' {
				return false
			}
		default:
			if c != pattern[i] {
				return false
			}
		}
	}
	return true
}

// parseStatusLine parses status-line = HTTP-version SP status-code SP
// [ reason-phrase ] (RFC 9112 §4). A missing SP after the code is
// accepted, as RFC 9112 §4 recommends.
func (p *ReceivedResponse) parseStatusLine(line []byte) error {
	if len(line) < 12 || !statusLinePrefixOK(line[:12]) {
		return ErrBadStatusLine
	}
	if line[5] != '1' {
		return ErrBadStatusLine
	}
	p.Major, p.Minor = 1, min(int(line[7]-'0'), 1)
	p.Status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	if p.Status < 100 {
		return ErrBadStatusLine
	}
	rest := line[12:]
	if len(rest) > 0 {
		if rest[0] != ' ' {
			return ErrBadStatusLine
		}
		rest = rest[1:]
	}
	for _, c := range rest {
		if !valueTable[c] {
			return ErrBadStatusLine
		}
	}
	p.Reason = rest
	return nil
}

// decideFraming applies RFC 9112 §6.3 to what the fields said; the
// request method's part (HEAD) is Framing's.
func (p *ReceivedResponse) decideFraming(st *fieldState) error {
	switch {
	case st.teLines > 0:
		if st.teInvalid || st.teCodings == 0 || st.teChunked > 1 || st.teChunked == 1 && !st.teLastChunked {
			return ErrBadResponseCoding
		}
		if p.Minor == 0 {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the
			// framing is faulty.
			return ErrBadResponseCoding
		}
		p.Chunked = st.teLastChunked
		p.teNotChunked = !st.teLastChunked
		// RFC 9112 §6.1: TE overrides CL, and the connection closes.
		p.Close = st.clLines > 0 || p.teNotChunked
	case st.clInvalid || st.clConflict:
		return ErrBadResponseLength
	case st.clSeen:
		p.ContentLength = st.cl
	}
	if p.Minor >= 1 {
		p.Close = p.Close || st.close
	} else {
		p.Close = p.Close || st.close || !st.keepAlive
	}
	return nil
}

// Framing returns how the body of p ends, given whether the request was
// HEAD (RFC 9112 §6.3 items 1–7; a 2xx to CONNECT is not handled here).
// A CloseBody response always has Close set.
func (p *ReceivedResponse) Framing(headRequest bool) BodyFraming {
	switch {
	case headRequest, p.Status < 200, p.Status == 204, p.Status == 304:
		return NoBody
	case p.Chunked:
		return ChunkedBody
	case p.teNotChunked || p.ContentLength < 0:
		p.Close = true
		return CloseBody
	}
	return LengthBody
}
