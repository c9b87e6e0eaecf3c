package fastcgi

import (
	"encoding/binary"
	"errors"
)

// The record codec (record.go, reader.go, writer.go) is pure: bytes in,
// bytes out, no network, clock or log, so that it can be fuzzed and tested
// against a reference client without a server.

// Version is the only protocol version (FastCGI 1.0, §3.3).
const Version = 1

// HeaderLen is the length of a record header (§3.3).
const HeaderLen = 8

// MaxContent is the largest content of one record: its length is 16 bits.
const MaxContent = 65535

// Record types (§8).
const (
	TypeBeginRequest    = 1
	TypeAbortRequest    = 2
	TypeEndRequest      = 3
	TypeParams          = 4
	TypeStdin           = 5
	TypeStdout          = 6
	TypeStderr          = 7
	TypeData            = 8
	TypeGetValues       = 9
	TypeGetValuesResult = 10
	TypeUnknownType     = 11
)

// RoleResponder is the role of a web request (§6.2).
const RoleResponder = 1

// FlagKeepConn asks the application to keep the connection open after the
// request (§5.1); without it, it closes the connection when done.
const FlagKeepConn = 1

// Protocol statuses of an END_REQUEST record (§5.5).
const (
	StatusRequestComplete = 0
	StatusCantMpxConn     = 1
	StatusOverloaded      = 2
	StatusUnknownRole     = 3
)

// Header is a record header.
type Header struct {
	Version       uint8
	Type          uint8
	RequestID     uint16
	ContentLength uint16
	PaddingLength uint8
}

// ErrVersion is returned for a record whose version is not 1: the peer
// does not speak FastCGI, or the stream lost its framing.
var ErrVersion = errors.New("fastcgi: record version is not 1 (is the address a FastCGI server?)")

// ErrEndRequest is returned for an END_REQUEST record whose content is not
// the 8 bytes §5.5 gives it.
var ErrEndRequest = errors.New("fastcgi: END_REQUEST record of the wrong length")

// ParseHeader decodes the first HeaderLen bytes of b, which must hold them.
func ParseHeader(b []byte) (Header, error) {
	_ = b[HeaderLen-1]
	h := Header{
		Version:       b[0],
		Type:          b[1],
		RequestID:     binary.BigEndian.Uint16(b[2:]),
		ContentLength: binary.BigEndian.Uint16(b[4:]),
		PaddingLength: b[6],
	}
	if h.Version != Version {
		return h, ErrVersion
	}
	return h, nil
}

// AppendHeader appends a record header.
func AppendHeader(dst []byte, typ uint8, id uint16, contentLen int, padLen uint8) []byte {
	return append(dst, Version, typ, byte(id>>8), byte(id), byte(contentLen>>8), byte(contentLen), padLen, 0)
}

// EndRequest is the content of an END_REQUEST record.
type EndRequest struct {
	AppStatus      uint32
	ProtocolStatus uint8
}

// ParseEndRequest decodes an END_REQUEST record's content.
func ParseEndRequest(content []byte) (EndRequest, error) {
	if len(content) != 8 {
		return EndRequest{}, ErrEndRequest
	}
	return EndRequest{AppStatus: binary.BigEndian.Uint32(content), ProtocolStatus: content[4]}, nil
}

// AppendPair appends one name-value pair (§3.4): each length in one byte
// when below 128, else in four with the top bit set.
func AppendPair(dst, name, value []byte) []byte {
	dst = appendPairLen(dst, len(name))
	dst = appendPairLen(dst, len(value))
	dst = append(dst, name...)
	return append(dst, value...)
}

// PairLen is the encoded length of a pair.
func PairLen(nameLen, valueLen int) int {
	n := nameLen + valueLen + 2
	if nameLen > 127 {
		n += 3
	}
	if valueLen > 127 {
		n += 3
	}
	return n
}

func appendPairLen(dst []byte, n int) []byte {
	if n < 128 {
		return append(dst, byte(n))
	}
	return append(dst, byte(n>>24)|0x80, byte(n>>16), byte(n>>8), byte(n))
}

// ErrPair is returned for name-value pairs whose lengths run past their
// content.
var ErrPair = errors.New("fastcgi: malformed name-value pair")

// ParsePairs calls fn for each name-value pair in b, the content of a
// PARAMS or GET_VALUES_RESULT stream. The slices are views of b.
func ParsePairs(b []byte, fn func(name, value []byte)) error {
	for len(b) > 0 {
		nl, rest, ok := pairLen(b)
		if !ok {
			return ErrPair
		}
		vl, rest, ok := pairLen(rest)
		if !ok || uint64(len(rest)) < uint64(nl)+uint64(vl) {
			return ErrPair
		}
		fn(rest[:nl:nl], rest[nl:nl+vl:nl+vl])
		b = rest[nl+vl:]
	}
	return nil
}

func pairLen(b []byte) (int, []byte, bool) {
	if len(b) == 0 {
		return 0, nil, false
	}
	if b[0] < 128 {
		return int(b[0]), b[1:], true
	}
	if len(b) < 4 {
		return 0, nil, false
	}
	return int(binary.BigEndian.Uint32(b) &^ (1 << 31)), b[4:], true
}
