package wsgi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/brick-server/brick/wire"
)

// Frame types; see the package documentation.
const (
	FrameRequest byte = 'Q'
	FrameCancel  byte = 'C'
	FrameReady   byte = 'R'
	FrameFatal   byte = 'X'
	FrameHead    byte = 'H'
	FrameData    byte = 'D'
	FrameEnd     byte = 'E'
	FrameAbort   byte = 'A'
)

// FrameHeaderLen is the length of a frame's type and length fields.
const FrameHeaderLen = 5

// Flags of a request frame.
const (
	// FlagBodyFD marks a request frame whose body travels as a file
	// descriptor instead of inline.
	FlagBodyFD uint32 = 1
	// FlagNoNul marks a request frame none of whose strings holds a NUL
	// (only a percent-decoded path can): the worker splits the strings
	// at the NUL that follows each, in one call, instead of slicing them
	// by the table.
	FlagNoNul uint32 = 2
)

// Errors of the codec. Each means the worker broke the protocol; the
// gateway answers 502 and replaces the worker.
var (
	ErrBadHead    = errors.New("wsgi: malformed head frame")
	ErrBadStatus  = errors.New("wsgi: status must be three digits from 200 to 599, a space and a reason")
	ErrBadField   = errors.New("wsgi: invalid header field from the application")
	ErrBadRequest = errors.New("wsgi: malformed request frame")
)

// AppendFrameHeader appends a frame's type and payload length.
func AppendFrameHeader(dst []byte, typ byte, length int) []byte {
	return binary.LittleEndian.AppendUint32(append(dst, typ), uint32(length))
}

// ParseFrameHeader reads a frame's type and payload length from the first
// FrameHeaderLen bytes of b, which must be that long.
func ParseFrameHeader(b []byte) (typ byte, length uint32) {
	return b[0], binary.LittleEndian.Uint32(b[1:5])
}

// cancelFrameLen is the length of a cancel frame: the header and the
// number of the request it cancels.
const cancelFrameLen = FrameHeaderLen + 4

// AppendCancel appends a cancel frame for request seq (the worker numbers
// the requests it receives from 1).
func AppendCancel(dst []byte, seq uint32) []byte {
	return binary.LittleEndian.AppendUint32(AppendFrameHeader(dst, FrameCancel, 4), seq)
}

// RequestEncoder builds request frames. It is a cgienv.Sink: the environ
// builder adds the CGI variables to it, then AppendFrame lays them out as
// a table of end offsets followed by the string bytes, each string
// followed by a NUL, which the worker splits in one pass. An encoder is
// reused from request to request, so a steady state allocates nothing.
type RequestEncoder struct {
	ends []uint32
	strs []byte
	nul  bool // a string holds a NUL: FlagNoNul is not set
}

// Reset forgets the strings added so far.
func (e *RequestEncoder) Reset() {
	e.ends, e.strs, e.nul = e.ends[:0], e.strs[:0], false
}

// Add adds one environ entry. key and value are copied.
func (e *RequestEncoder) Add(key, value []byte) {
	e.nul = e.nul || bytes.IndexByte(key, 0) >= 0 || bytes.IndexByte(value, 0) >= 0
	e.strs = append(append(e.strs, key...), 0)
	e.ends = append(e.ends, uint32(len(e.strs)))
	e.strs = append(append(e.strs, value...), 0)
	e.ends = append(e.ends, uint32(len(e.strs)))
}

// AddString is Add for strings.
func (e *RequestEncoder) AddString(key, value string) {
	e.nul = e.nul || strings.IndexByte(key, 0) >= 0 || strings.IndexByte(value, 0) >= 0
	e.strs = append(append(e.strs, key...), 0)
	e.ends = append(e.ends, uint32(len(e.strs)))
	e.strs = append(append(e.strs, value...), 0)
	e.ends = append(e.ends, uint32(len(e.strs)))
}

// AppendFrame appends a request frame holding the entries added so far,
// flags (FlagNoNul is added when it holds), and body inline (nil when the
// body travels as a descriptor).
func (e *RequestEncoder) AppendFrame(dst []byte, flags uint32, body []byte) []byte {
	if !e.nul {
		flags |= FlagNoNul
	}
	n := 8 + 4*len(e.ends) + len(e.strs) + len(body)
	dst = AppendFrameHeader(dst, FrameRequest, n)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e.ends)))
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	for _, end := range e.ends {
		dst = binary.LittleEndian.AppendUint32(dst, end)
	}
	dst = append(dst, e.strs...)
	return append(dst, body...)
}

// DecodeRequest splits a request frame's payload into its environ entries
// (key, value, key, value...), flags and inline body: what worker.py
// does, in Go, for tests and for the fuzz target that keeps the two sides
// in agreement.
func DecodeRequest(p []byte) (strs [][]byte, flags uint32, body []byte, err error) {
	if len(p) < 8 {
		return nil, 0, nil, ErrBadRequest
	}
	n := binary.LittleEndian.Uint32(p)
	flags = binary.LittleEndian.Uint32(p[4:])
	if n%2 != 0 || uint64(n)*4 > uint64(len(p)-8) {
		return nil, 0, nil, ErrBadRequest
	}
	table, rest := p[8:8+4*n], p[8+4*n:]
	prev := uint32(0)
	strs = make([][]byte, 0, n)
	for i := uint32(0); i < n; i++ {
		end := binary.LittleEndian.Uint32(table[4*i:])
		if end <= prev || int64(end) > int64(len(rest)) || rest[end-1] != 0 {
			return nil, 0, nil, ErrBadRequest
		}
		s := rest[prev : end-1]
		if flags&FlagNoNul != 0 && bytes.IndexByte(s, 0) >= 0 {
			return nil, 0, nil, ErrBadRequest
		}
		strs = append(strs, s)
		prev = end
	}
	return strs, flags, rest[prev:], nil
}

// Head is a parsed head frame.
type Head struct {
	Status int
	// Reason is the application's reason phrase ("Custom Reason" of "299
	// Custom Reason"), copied into a buffer Head keeps.
	Reason []byte
	// Header holds the application's fields, in order, copied.
	Header wire.Header
	// ContentLength is the application's Content-Length, or -1.
	ContentLength int64
}

// ParseHead parses a head frame's payload into h. The worker already
// validated what the application passed to start_response; this checks
// again, because a field that splits a line here would be response
// splitting, and the worker's checks are in another process. Spaces and
// tabs around a field value are optional whitespace, not part of the value
// (RFC 9110 §5.5): they are dropped, as gunicorn drops them, so that an
// application's (" a=b") reaches the client as "a=b".
func ParseHead(p []byte, h *Head) error {
	h.Header.Reset()
	h.ContentLength = -1
	status, rest, _ := bytes.Cut(p, []byte{0})
	if len(status) < 4 || status[3] != ' ' || !wire.IsFieldValue(status) {
		return ErrBadStatus
	}
	code, ok := wire.ParseDecimal(status[:3])
	if !ok || code < 200 || code > 599 {
		return ErrBadStatus
	}
	h.Status = int(code)
	h.Reason = append(h.Reason[:0], status[4:]...)
	if len(p) == len(status) {
		return nil
	}
	for {
		name, after, ok := bytes.Cut(rest, []byte{0})
		if !ok {
			return ErrBadHead
		}
		value, tail, more := bytes.Cut(after, []byte{0})
		value = wire.TrimOWS(value)
		if !wire.IsToken(name) || !wire.IsFieldValue(value) {
			return ErrBadField
		}
		if wire.EqualFold(name, "Content-Length") {
			n, ok := wire.ParseDecimal(value)
			if !ok || (h.ContentLength >= 0 && n != h.ContentLength) {
				return ErrBadField
			}
			h.ContentLength = n
		}
		h.Header.AddBytes(name, value)
		if !more {
			return nil
		}
		rest = tail
	}
}
