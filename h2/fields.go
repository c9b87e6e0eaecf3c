package h2

import (
	"errors"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
	"golang.org/x/net/http2/hpack"
)

// fields checks a request's decoded header fields as they come (RFC 9113
// §8.2 and §8.3) and keeps them: the pseudo-header values in an arena of
// their own, the regular fields in a wire.Header, the form a handler
// reads. A request that breaks a rule is malformed: its stream is reset
// with PROTOCOL_ERROR.
type fields struct {
	limit    int  // decoded size bound (SETTINGS_MAX_HEADER_LIST_SIZE's measure)
	size     int  // decoded size so far
	maxCount int  // bound on regular fields, as HTTP/1.1 bounds field lines
	count    int  // regular fields so far
	tooBig   bool // over a bound: later fields are dropped, the request is 431
	err      error

	trailers   bool // a trailer section: no pseudo-header fields
	sawRegular bool
	pseudo     []byte // method, scheme, path, authority values
	method     span
	scheme     span
	path       span
	authority  span
	have       uint8 // which pseudo-header fields were seen

	header        wire.Header
	cookie        []byte // cookie fields, joined with "; " (RFC 9113 §8.2.3)
	host          span   // into pseudo: the host field's value
	hasHost       bool
	contentLength int64 // -1 when absent
	expect100     bool
	connect       bool
}

type span struct{ off, n int32 }

const (
	haveMethod = 1 << iota
	haveScheme
	havePath
	haveAuthority
)

var (
	errPseudo       = errors.New("h2: bad pseudo-header field")
	errFieldName    = errors.New("h2: bad header field name")
	errFieldValue   = errors.New("h2: bad header field value")
	errConnField    = errors.New("h2: connection-specific header field")
	errContentLen   = errors.New("h2: bad content-length")
	errMissing      = errors.New("h2: missing pseudo-header field")
	errBodyTooShort = errors.New("h2: END_STREAM before content-length bytes")
)

// reset prepares f for a new block, keeping its buffers.
func (f *fields) reset(limit, maxCount int) {
	h := f.header
	h.Reset()
	*f = fields{limit: limit, maxCount: maxCount, pseudo: f.pseudo[:0], cookie: f.cookie[:0], header: h, contentLength: -1}
}

// emit is the HPACK decoder's callback. Past the size bound, or after an
// error, it only counts: the decoder must still run to keep its table.
func (f *fields) emit(hf hpack.HeaderField) {
	if f.err != nil || f.tooBig {
		return
	}
	f.size += len(hf.Name) + len(hf.Value) + 32
	if f.size > f.limit {
		f.tooBig = true
		return
	}
	if hf.Name == "" || hf.Name[0] != ':' {
		// Each field counts, cookie crumbs too: a list of many tiny
		// fields costs per field, whatever its size.
		f.count++
		if f.count > f.maxCount {
			f.tooBig = true
			return
		}
	}
	f.err = f.add(hf.Name, hf.Value)
}

// add checks one field and keeps it.
func (f *fields) add(name, value string) error {
	if name == "" {
		return errFieldName
	}
	if !validValue(value) {
		return errFieldValue
	}
	if name[0] == ':' {
		if f.trailers || f.sawRegular {
			return errPseudo
		}
		var bit uint8
		var sp *span
		switch name {
		case ":method":
			bit, sp = haveMethod, &f.method
		case ":scheme":
			bit, sp = haveScheme, &f.scheme
		case ":path":
			bit, sp = havePath, &f.path
		case ":authority":
			bit, sp = haveAuthority, &f.authority
		default:
			return errPseudo
		}
		if f.have&bit != 0 {
			return errPseudo
		}
		f.have |= bit
		*sp = f.keep(value)
		return nil
	}
	f.sawRegular = true
	if !validName(name) {
		return errFieldName
	}
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return errConnField
	case "te":
		if value != "trailers" {
			return errConnField
		}
	case "content-length":
		n, ok := wire.ParseDecimal([]byte(value))
		if !ok || f.contentLength >= 0 && n != f.contentLength {
			return errContentLen
		}
		f.contentLength = n
	case "cookie":
		if len(f.cookie) > 0 {
			f.cookie = append(f.cookie, "; "...)
		}
		f.cookie = append(f.cookie, value...)
		return nil
	case "expect":
		if wire.EqualFold([]byte(value), "100-continue") {
			f.expect100 = true
		}
	case "host":
		if !f.hasHost {
			f.host, f.hasHost = f.keep(value), true
		}
	}
	if f.trailers {
		return nil // checked, not kept
	}
	f.header.Add(name, value)
	return nil
}

func (f *fields) keep(v string) span {
	off := len(f.pseudo)
	f.pseudo = append(f.pseudo, v...)
	return span{int32(off), int32(len(v))}
}

func (f *fields) get(s span) []byte { return f.pseudo[s.off : s.off+s.n : s.off+s.n] }

// finish checks the complete request block (RFC 9113 §8.3.1).
func (f *fields) finish(endStream bool) error {
	if f.err != nil {
		return f.err
	}
	if f.have&haveMethod == 0 {
		return errMissing
	}
	if string(f.get(f.method)) == "CONNECT" {
		// RFC 9113 §8.5: CONNECT has only :method and :authority.
		if f.have != haveMethod|haveAuthority {
			return errPseudo
		}
		f.connect = true
		return nil
	}
	if f.have&(haveScheme|havePath) != haveScheme|havePath {
		return errMissing
	}
	p := f.get(f.path)
	switch {
	case len(p) == 0:
		return errPseudo
	case p[0] == '/':
	case string(p) == "*" && string(f.get(f.method)) == "OPTIONS":
	default:
		return errPseudo
	}
	if !wire.IsToken(f.get(f.method)) {
		return errPseudo
	}
	if endStream && f.contentLength > 0 {
		return errBodyTooShort
	}
	if len(f.cookie) > 0 {
		f.header.AddBytes([]byte("cookie"), f.cookie)
	}
	return nil
}

var proto20 = []byte("HTTP/2.0")

// request fills r's head from the checked fields; r's slices view f's
// memory, which the stream owns.
func (f *fields) request(r *web.Request, endStream bool) {
	h := &r.RequestHead
	h.Method = f.get(f.method)
	h.Target = f.get(f.path)
	h.Form = wire.OriginForm
	h.Path, h.Query = h.Target, nil
	for i, b := range h.Target {
		if b == '?' {
			h.Path, h.Query = h.Target[:i:i], h.Target[i+1:]
			break
		}
	}
	if string(h.Target) == "*" {
		h.Form = wire.AsteriskForm
	}
	h.Proto, h.Major, h.Minor = proto20, 2, 0
	h.Header = f.header
	h.Host = nil
	switch {
	case f.have&haveAuthority != 0:
		h.Host = f.get(f.authority)
	case f.hasHost:
		h.Host = f.get(f.host)
	}
	switch {
	case endStream:
		h.ContentLength = 0
	case f.contentLength >= 0:
		h.ContentLength = f.contentLength
	default:
		h.ContentLength = -1
	}
	h.Chunked, h.Close, h.Expect100 = false, false, f.expect100 && !endStream
}

// nameOK holds the bytes allowed in an HTTP/2 field name: the token
// characters, without upper case (RFC 9113 §8.2.1).
var nameOK = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !nameOK[s[i]] {
			return false
		}
	}
	return len(s) > 0
}

// validValue rejects NUL, CR and LF, and whitespace at either end (RFC
// 9113 §8.2.1).
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	if n := len(s); n > 0 {
		if c := s[0]; c == ' ' || c == '\t' {
			return false
		}
		if c := s[n-1]; c == ' ' || c == '\t' {
			return false
		}
	}
	return true
}
