package wire

// fieldState collects, while the fields are parsed, what decides the
// message framing and connection handling, so that no second pass over the
// header is needed.
type fieldState struct {
	hosts int
	host  []byte

	clLines    int   // Content-Length field lines
	cl         int64 // the Content-Length value
	clSeen     bool  // cl holds a value
	clInvalid  bool
	clConflict bool

	teLines       int  // Transfer-Encoding field lines
	teCodings     int  // transfer codings listed, over all lines
	teChunked     int  // how many of them are chunked
	teLastChunked bool // the last coding listed is chunked
	teInvalid     bool // a coding is malformed

	close, keepAlive     bool
	expect100, expectBad bool
}

// note records a field that matters for framing. The switch on length keeps
// ordinary fields to one comparison.
func (st *fieldState) note(name, value []byte) {
	switch len(name) {
	case 4:
		if EqualFold(name, "Host") {
			st.hosts++
			st.host = value
		}
	case 6:
		if EqualFold(name, "Expect") {
			// RFC 9110 §10.1.1: 100-continue is the only expectation.
			for e, rest := nextListElement(value); len(e) > 0 || len(rest) > 0; e, rest = nextListElement(rest) {
				if EqualFold(e, "100-continue") {
					st.expect100 = true
				} else if len(e) > 0 {
					st.expectBad = true
				}
			}
		}
	case 10:
		if EqualFold(name, "Connection") {
			for e, rest := nextListElement(value); len(e) > 0 || len(rest) > 0; e, rest = nextListElement(rest) {
				switch {
				case EqualFold(e, "close"):
					st.close = true
				case EqualFold(e, "keep-alive"):
					st.keepAlive = true
				}
			}
		}
	case 14:
		if EqualFold(name, "Content-Length") {
			st.noteContentLength(value)
		}
	case 17:
		if EqualFold(name, "Transfer-Encoding") {
			st.noteTransferEncoding(value)
		}
	}
}

// noteContentLength accepts repeated Content-Length values, in separate
// lines or as a list in one, only when they are all the same valid number
// (RFC 9110 §8.6, RFC 9112 §6.3 item 5). Content-Length is not a list, so an
// empty element makes the field invalid rather than being skipped: skipping
// it would read "Content-Length: ," as no Content-Length at all.
func (st *fieldState) noteContentLength(value []byte) {
	st.clLines++
	for {
		i := 0
		for i < len(value) && value[i] != ',' {
			i++
		}
		n, ok := ParseDecimal(TrimOWS(value[:i]))
		switch {
		case !ok:
			st.clInvalid = true
			return
		case st.clSeen && n != st.cl:
			st.clConflict = true
			return
		}
		st.cl, st.clSeen = n, true
		if i == len(value) {
			return
		}
		value = value[i+1:]
	}
}

// noteTransferEncoding records the codings of one Transfer-Encoding line;
// the list continues across lines (RFC 9110 §5.3).
func (st *fieldState) noteTransferEncoding(value []byte) {
	st.teLines++
	for e, rest := nextListElement(value); len(e) > 0 || len(rest) > 0; e, rest = nextListElement(rest) {
		if len(e) == 0 {
			continue
		}
		st.teCodings++
		st.teLastChunked = EqualFold(e, "chunked")
		if st.teLastChunked {
			st.teChunked++
		} else if !validCoding(e) {
			st.teInvalid = true
		}
	}
}

// decideFraming applies the Host rules (RFC 9112 §3.2) and the message body
// length rules (RFC 9112 §6.3) once all fields are known.
func (r *RequestHead) decideFraming(st *fieldState) error {
	switch {
	case st.hosts > 1:
		return ErrDuplicateHost
	case st.hosts == 0 && r.Minor >= 1:
		// Also for the absolute and authority forms: RFC 9112 §3.2 asks
		// every HTTP/1.1 request to carry Host.
		return ErrMissingHost
	case st.hosts == 1 && !validHost(st.host):
		return ErrBadHost
	}
	if r.Host == nil {
		// RFC 9112 §3.2.2: the target's authority, when it has one, wins.
		r.Host = st.host
	}

	if st.teLines > 0 {
		switch {
		case r.Minor == 0:
			// RFC 9112 §6.1: TE in HTTP/1.0 means the framing is faulty.
			return ErrTEOnHTTP10
		case st.clLines > 0:
			// RFC 9112 §6.1 lets a server drop Content-Length and go on;
			// refusing removes the classic request-smuggling ambiguity.
			return ErrTEAndCL
		case st.teInvalid || st.teCodings == 0 || st.teChunked > 1:
			// RFC 9112 §6.1: chunked is applied at most once.
			return ErrBadTransferCoding
		case !st.teLastChunked:
			// RFC 9112 §6.3 item 4: without chunked last, a request's
			// body length cannot be determined.
			return ErrChunkedNotLast
		case st.teCodings > 1:
			// RFC 9112 §6.1: a coding Brick does not implement is 501.
			return ErrUnknownTE
		}
		r.Chunked, r.ContentLength = true, -1
	} else {
		switch {
		case st.clInvalid:
			return ErrBadContentLength
		case st.clConflict:
			return ErrConflictingLength
		}
		r.ContentLength = st.cl
	}

	if st.expectBad {
		// RFC 9110 §10.1.1; answered on HTTP/1.0 too, as net/http does.
		return ErrBadExpect
	}
	if r.Minor >= 1 {
		r.Close = st.close
		r.Expect100 = st.expect100
	} else {
		// RFC 9112 §9.3: HTTP/1.0 persists only when asked to; its
		// 100-continue is ignored (RFC 9110 §10.1.1).
		r.Close = st.close || !st.keepAlive
	}
	return nil
}

// validCoding checks the shape of transfer-coding = token *( OWS ";" OWS
// transfer-parameter ) (RFC 9112 §7): a well-formed coding Brick does not
// know is 501, garbage is 400. Parameters are not examined further; the
// request is refused either way.
func validCoding(e []byte) bool {
	i := 0
	for i < len(e) && tokenTable[e[i]] {
		i++
	}
	rest := TrimOWS(e[i:])
	return i > 0 && (len(rest) == 0 || rest[0] == ';')
}
