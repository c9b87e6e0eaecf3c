package asgi

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/brick-server/brick/wire"
)

// Frame types; see the package documentation for what each carries.
const (
	// Go to worker.
	FrameStart      byte = 'S' // a connection scope begins
	FrameBody       byte = 'B' // request body bytes, more to come
	FrameBodyEnd    byte = 'F' // the request body is complete
	FrameDisconnect byte = 'C' // the client is gone
	FrameCancel     byte = 'K' // stop the application's task (timeout)
	FrameCredit     byte = 'W' // both ways: the receiver may take n more bytes
	FramePing       byte = 'P' // heartbeat, stream 0
	FrameWSReceive  byte = 'M' // reserved: a WebSocket message from the client

	// Worker to Go.
	FrameReady    byte = 'R' // stream 0: the application loaded, lifespan started
	FrameFatal    byte = 'X' // stream 0: it did not; payload: the reason
	FramePong     byte = 'p' // stream 0: answer to a ping
	FrameHead     byte = 'H' // http.response.start
	FrameData     byte = 'D' // http.response.body bytes
	FrameEnd      byte = 'E' // the scope ended cleanly
	FrameAbort    byte = 'A' // the application failed; payload: traceback
	FramePathSend byte = 'Y' // http.response.pathsend: the scope ends with this file
	FrameTrailers byte = 'T' // reserved: http.response.trailers
	FrameWSAccept byte = 'a' // reserved: websocket.accept
	FrameWSSend   byte = 'm' // reserved: websocket.send
	FrameWSClose  byte = 'x' // reserved: websocket.close
)

// Scope kinds of a start frame.
const (
	KindHTTP      uint32 = 1
	KindWebSocket uint32 = 2 // reserved for the WebSocket integration
)

// FlagMoreBody marks a start frame whose request body continues in body
// frames; without it the body inline in the start frame is the whole body.
const FlagMoreBody uint32 = 1

// FrameHeaderLen is the length of a frame's type, stream and length.
const FrameHeaderLen = 9

// Window is the flow-control window of one stream in each direction: the
// bytes of request body Go may send before the worker grants more, and
// the bytes of response body the worker may send before Go does. Both
// sides start with it; neither ever holds more than it for one stream.
const Window = 256 << 10

// Scope string positions in a start frame, before the header pairs.
const (
	sHTTPVersion = iota
	sMethod
	sScheme
	sPath
	sRawPath
	sQuery
	sRootPath
	sClientHost
	sClientPort
	sServerHost
	sServerPort
	scopeStrings
)

// Errors of the codec: the worker broke the protocol; its requests fail
// and it is replaced.
var (
	ErrBadStart = errors.New("asgi: malformed start frame")
	ErrBadHead  = errors.New("asgi: malformed response start frame")
)

// AppendFrameHeader appends a frame's type, stream id and payload length.
func AppendFrameHeader(dst []byte, typ byte, stream uint32, length int) []byte {
	dst = binary.LittleEndian.AppendUint32(append(dst, typ), stream)
	return binary.LittleEndian.AppendUint32(dst, uint32(length))
}

// ParseFrameHeader reads the first FrameHeaderLen bytes of b.
func ParseFrameHeader(b []byte) (typ byte, stream, length uint32) {
	return b[0], binary.LittleEndian.Uint32(b[1:5]), binary.LittleEndian.Uint32(b[5:9])
}

// AppendCredit appends a credit frame granting n bytes on stream.
func AppendCredit(dst []byte, stream uint32, n uint32) []byte {
	return binary.LittleEndian.AppendUint32(AppendFrameHeader(dst, FrameCredit, stream, 4), n)
}

// StartEncoder builds start frames: the scope's strings as a table of
// end offsets followed by the bytes, which the worker slices apart in one
// pass, as the WSGI gateway's request frame does. An encoder is reused
// from request to request, so a steady state allocates nothing.
type StartEncoder struct {
	ends []uint32
	strs []byte
}

// Reset forgets the strings added so far.
func (e *StartEncoder) Reset() { e.ends, e.strs = e.ends[:0], e.strs[:0] }

// Add adds one string, copied.
func (e *StartEncoder) Add(s []byte) {
	e.strs = append(e.strs, s...)
	e.ends = append(e.ends, uint32(len(e.strs)))
}

// AddString is Add for a string.
func (e *StartEncoder) AddString(s string) {
	e.strs = append(e.strs, s...)
	e.ends = append(e.ends, uint32(len(e.strs)))
}

// AddLower adds a header name lowercased, as ASGI wants header names.
func (e *StartEncoder) AddLower(s []byte) {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		e.strs = append(e.strs, c)
	}
	e.ends = append(e.ends, uint32(len(e.strs)))
}

// AppendFrame appends a start frame for stream holding the strings added
// so far, kind, flags and the body inline.
func (e *StartEncoder) AppendFrame(dst []byte, stream, kind, flags uint32, body []byte) []byte {
	n := 12 + 4*len(e.ends) + len(e.strs) + len(body)
	dst = AppendFrameHeader(dst, FrameStart, stream, n)
	dst = binary.LittleEndian.AppendUint32(dst, kind)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e.ends)))
	for _, end := range e.ends {
		dst = binary.LittleEndian.AppendUint32(dst, end)
	}
	dst = append(dst, e.strs...)
	return append(dst, body...)
}

// DecodeStart splits a start frame's payload as worker.py does, for tests
// and for the fuzz target that keeps both sides in agreement.
func DecodeStart(p []byte) (kind, flags uint32, strs [][]byte, body []byte, err error) {
	if len(p) < 12 {
		return 0, 0, nil, nil, ErrBadStart
	}
	kind, flags = binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:])
	n := binary.LittleEndian.Uint32(p[8:])
	if n < scopeStrings || (n-scopeStrings)%2 != 0 || uint64(n)*4 > uint64(len(p)-12) {
		return 0, 0, nil, nil, ErrBadStart
	}
	table, rest := p[12:12+4*n], p[12+4*n:]
	prev := uint32(0)
	strs = make([][]byte, 0, n)
	for i := uint32(0); i < n; i++ {
		end := binary.LittleEndian.Uint32(table[4*i:])
		if end < prev || int64(end) > int64(len(rest)) {
			return 0, 0, nil, nil, ErrBadStart
		}
		strs = append(strs, rest[prev:end])
		prev = end
	}
	return kind, flags, strs, rest[prev:], nil
}

// Head is a parsed response start frame.
type Head struct {
	Status int
	// Header holds the application's fields in order, copied.
	Header wire.Header
	// ContentLength is the application's Content-Length, or -1.
	ContentLength int64
}

// ParseHead parses a head frame's payload: three status digits, then
// NUL-separated names and values. The worker checked what the
// application sent; this checks again, because a field that splits a line
// here would be response splitting, and the worker's checks run in
// another process. Fields that belong to the connection (Connection,
// Transfer-Encoding and the like) are the server's to set and are
// dropped, as uvicorn drops Transfer-Encoding.
func ParseHead(p []byte, h *Head) error {
	h.Header.Reset()
	h.ContentLength = -1
	if len(p) < 3 {
		return ErrBadHead
	}
	code, ok := wire.ParseDecimal(p[:3])
	if !ok || code < 200 || code > 599 {
		return ErrBadHead
	}
	h.Status = int(code)
	rest := p[3:]
	if len(rest) == 0 {
		return nil
	}
	if rest[0] != 0 {
		return ErrBadHead
	}
	rest = rest[1:]
	for len(rest) > 0 {
		name, after, ok := bytes.Cut(rest, []byte{0})
		if !ok {
			return ErrBadHead
		}
		value, tail, more := bytes.Cut(after, []byte{0})
		value = wire.TrimOWS(value)
		if !wire.IsToken(name) || !wire.IsFieldValue(value) {
			return ErrBadHead
		}
		switch {
		case wire.EqualFold(name, "Content-Length"):
			n, ok := wire.ParseDecimal(value)
			if !ok || (h.ContentLength >= 0 && n != h.ContentLength) {
				return ErrBadHead
			}
			if h.ContentLength < 0 {
				h.Header.AddBytes(name, value)
			}
			h.ContentLength = n
		case hopByHop(name):
		default:
			h.Header.AddBytes(name, value)
		}
		if !more {
			return nil
		}
		rest = tail
	}
	return nil
}

// hopByHop reports fields that describe one connection, not the response.
func hopByHop(name []byte) bool {
	for _, s := range [...]string{"Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection", "TE", "Trailer"} {
		if wire.EqualFold(name, s) {
			return true
		}
	}
	return false
}
