package wire

// fieldState collects, while the fields are parsed, what decides the
// message framing and connection handling, so that no second pass over the
// header is needed.
type fieldState struct {
	hosts      int
	host       []byte
	cl         int64 // the Content-Length value
	clSeen     bool
	clInvalid  bool
	clConflict bool
	te         [4][]byte // Transfer-Encoding field values, in order
	teLines    int
	close      bool
	keepAlive  bool
	expect100  bool
	expectBad  bool
	expectSeen bool
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
			st.expectSeen = true
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
			if st.teLines < len(st.te) {
				st.te[st.teLines] = value
			}
			st.teLines++
		}
	}
}

// noteContentLength accepts repeated Content-Length values only when they
// are all the same valid number (RFC 9112 §6.3 item 5).
func (st *fieldState) noteContentLength(value []byte) {
	if len(trimOWS(value)) == 0 {
		st.clInvalid = true
		return
	}
	for e, rest := nextListElement(value); len(e) > 0 || len(rest) > 0; e, rest = nextListElement(rest) {
		n, ok := parseDecimal(e)
		switch {
		case !ok:
			st.clInvalid = true
			return
		case st.clSeen && n != st.cl:
			st.clConflict = true
			return
		}
		st.cl, st.clSeen = n, true
	}
}

// decideFraming applies the Host rules (RFC 9112 §3.2) and the message body
// length rules (RFC 9112 §6.3) once all fields are known.
func (r *Request) decideFraming(st *fieldState) error {
	switch {
	case st.hosts > 1:
		return ErrDuplicateHost
	case st.hosts == 0 && r.Minor >= 1:
		return ErrMissingHost
	case st.hosts == 1 && !validHost(st.host):
		return ErrBadHost
	}
	if r.Host == nil {
		r.Host = st.host
	}

	if r.Minor >= 1 {
		r.Close = st.close
		if st.expectBad {
			return ErrBadExpect
		}
		// RFC 9110 §10.1.1: a 100-continue in HTTP/1.0 is ignored.
		r.Expect100 = st.expect100
	} else {
		r.Close = st.close || !st.keepAlive
	}

	if st.teLines > 0 {
		if r.Minor == 0 {
			// RFC 9112 §6.1: TE in HTTP/1.0 means the framing is faulty.
			return ErrTEOnHTTP10
		}
		if st.clSeen || st.clInvalid || st.clConflict {
			// RFC 9112 §6.1 lets a server drop Content-Length and go on;
			// refusing removes the classic request-smuggling ambiguity.
			return ErrTEAndCL
		}
		if st.teLines > len(st.te) {
			return ErrUnknownTE
		}
		if err := checkTransferCodings(st.te[:st.teLines]); err != nil {
			return err
		}
		r.Chunked, r.ContentLength = true, -1
		return nil
	}
	switch {
	case st.clInvalid:
		return ErrBadContentLength
	case st.clConflict:
		return ErrConflictingLength
	}
	r.ContentLength = st.cl
	return nil
}

// checkTransferCodings accepts exactly "chunked" as the only and final
// coding: chunked not last is 400 (RFC 9112 §6.3 item 4), and any other
// coding is one Brick does not implement, 501 (RFC 9112 §6.1).
func checkTransferCodings(lines [][]byte) error {
	var codings, chunked int
	last := false
	for _, v := range lines {
		for e, rest := nextListElement(v); len(e) > 0 || len(rest) > 0; e, rest = nextListElement(rest) {
			if len(e) == 0 {
				continue
			}
			codings++
			last = EqualFold(e, "chunked")
			if last {
				chunked++
			} else if !IsToken(codingName(e)) {
				return ErrChunkedNotLast
			}
		}
	}
	switch {
	case codings == 0 || !last || chunked > 1:
		return ErrChunkedNotLast
	case codings > 1:
		return ErrUnknownTE
	}
	return nil
}

// codingName strips transfer-parameters from a coding.
func codingName(e []byte) []byte {
	for i, c := range e {
		if c == ';' || c == ' ' || c == '\t' {
			return e[:i]
		}
	}
	return e
}
