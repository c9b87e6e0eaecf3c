package wsframe

import (
	"encoding/binary"
	"errors"
)

// ErrNeedMore reports that the input ended before a complete element; read
// more and call again with the longer input.
var ErrNeedMore = errors.New("wsframe: need more input")

// Opcode is a frame's opcode (RFC 6455 §5.2).
type Opcode byte

// The opcodes RFC 6455 defines.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (close, ping, pong).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// Reserved bits of the first byte; RSV1 is permessage-deflate's "compressed"
// flag (RFC 7692 §6).
const (
	RSV1 byte = 0x40
	RSV2 byte = 0x20
	RSV3 byte = 0x10
)

// MaxControlPayload is the largest payload of a control frame (§5.5).
const MaxControlPayload = 125

// MaxHeaderLen is the longest frame head: 2 bytes, an 8-byte length and a
// 4-byte mask.
const MaxHeaderLen = 14

// Header is a parsed frame head.
type Header struct {
	Fin    bool
	Rsv    byte // RSV1|RSV2|RSV3 bits as set on the wire
	Op     Opcode
	Masked bool
	Mask   [4]byte
	Length int64
}

// Parser holds what a frame head is checked against; its zero value
// parses frames sent by a server (unmasked) with no extension.
type Parser struct {
	// Server is set on the server side: every frame read must be masked.
	// Otherwise no frame may be.
	Server bool
	// AllowRsv is the reserved bits a negotiated extension uses (RSV1
	// for permessage-deflate); any other set bit is a protocol error.
	AllowRsv byte
}

// ParseHeader parses the frame head at the start of b and returns it with
// its length in bytes. It returns ErrNeedMore while b holds less than a
// whole head, and an *Error with close code 1002 for a head that breaks
// RFC 6455 §5.
func (p Parser) ParseHeader(b []byte) (Header, int, error) {
	var h Header
	if len(b) < 2 {
		return h, 0, ErrNeedMore
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&0x80 != 0
	h.Rsv = b0 & (RSV1 | RSV2 | RSV3)
	h.Op = Opcode(b0 & 0x0F)
	h.Masked = b1&0x80 != 0
	n := 2
	switch l := b1 & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return h, 0, ErrNeedMore
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		n = 4
		if h.Length < 126 {
			return h, 0, ErrNonMinimalLength
		}
	case 127:
		if len(b) < 10 {
			return h, 0, ErrNeedMore
		}
		v := binary.BigEndian.Uint64(b[2:])
		n = 10
		if v>>63 != 0 {
			return h, 0, ErrLengthTooLarge
		}
		if v <= 0xFFFF {
			return h, 0, ErrNonMinimalLength
		}
		h.Length = int64(v)
	default:
		h.Length = int64(l)
	}
	// The rule checks wait for the whole head, so a head split across
	// reads gives the same answer as one read whole.
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, ErrNeedMore
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	if h.Rsv&^p.AllowRsv != 0 {
		return h, 0, ErrReservedBits
	}
	switch h.Op {
	case OpContinuation, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if !h.Fin {
			return h, 0, ErrFragmentedControl
		}
		if h.Length > MaxControlPayload {
			return h, 0, ErrControlTooLong
		}
		if h.Rsv != 0 {
			// RFC 7692 §6: only data frames carry the compression bit.
			return h, 0, ErrReservedBits
		}
	default:
		return h, 0, ErrReservedOpcode
	}
	if h.Masked != p.Server {
		if p.Server {
			return h, 0, ErrUnmasked
		}
		return h, 0, ErrMasked
	}
	return h, n, nil
}

// AppendHeader appends h's wire form to dst, in the shortest length form.
// The caller keeps h valid (a control frame of at most 125 bytes, Fin
// set); AppendHeader does not check it.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.Op) | h.Rsv
	if h.Fin {
		b0 |= 0x80
	}
	var m byte
	if h.Masked {
		m = 0x80
	}
	switch {
	case h.Length < 126:
		dst = append(dst, b0, m|byte(h.Length))
	case h.Length <= 0xFFFF:
		dst = append(dst, b0, m|126, byte(h.Length>>8), byte(h.Length))
	default:
		dst = append(dst, b0, m|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.Length))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// Mask XORs b in place with key, starting at offset pos of the payload
// (the offset of b's first byte, so a payload masked in pieces gives the
// same bytes as one masked whole), and returns the offset after b.
// Masking and unmasking are the same operation (§5.3).
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	i := 0
	// Byte-wise up to the next word boundary of the key, then eight bytes
	// at a time with the key rotated to match.
	for ; i < len(b) && pos != 0; i++ {
		b[i] ^= key[pos]
		pos = (pos + 1) & 3
	}
	if len(b)-i >= 8 {
		k := uint64(binary.LittleEndian.Uint32(key[:]))
		k |= k << 32
		for ; len(b)-i >= 8; i += 8 {
			v := binary.LittleEndian.Uint64(b[i:])
			binary.LittleEndian.PutUint64(b[i:], v^k)
		}
	}
	for ; i < len(b); i++ {
		b[i] ^= key[pos]
		pos = (pos + 1) & 3
	}
	return pos
}

// HeaderLen returns the length of a frame head whose second byte is b1:
// a reader that has two bytes knows how many more to wait for.
func HeaderLen(b1 byte) int {
	n := 2
	switch b1 & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}
