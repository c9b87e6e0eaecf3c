package wsframe

import (
	"encoding/binary"
	"unicode/utf8"
)

// Close status codes (RFC 6455 §7.4.1) that Brick sends or checks.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseUnsupported     = 1003
	CloseNoStatus        = 1005 // never on the wire: the close frame had no code
	CloseAbnormal        = 1006 // never on the wire: the connection dropped
	CloseInvalidPayload  = 1007
	ClosePolicyViolation = 1008
	CloseTooBig          = 1009
	CloseMandatoryExt    = 1010
	CloseInternalError   = 1011
)

// Error is a protocol violation: Code is the close code to send before
// closing, Reason fixed text that never echoes the input.
type Error struct {
	Code   int
	Reason string
}

func (e *Error) Error() string { return "wsframe: " + e.Reason }

// Violations, one per rule.
var (
	ErrReservedBits      = &Error{CloseProtocolError, "reserved bits set"}
	ErrReservedOpcode    = &Error{CloseProtocolError, "reserved opcode"}
	ErrFragmentedControl = &Error{CloseProtocolError, "fragmented control frame"}
	ErrControlTooLong    = &Error{CloseProtocolError, "control frame payload over 125 bytes"}
	ErrNonMinimalLength  = &Error{CloseProtocolError, "payload length not in its shortest form"}
	ErrLengthTooLarge    = &Error{CloseProtocolError, "payload length with its top bit set"}
	ErrUnmasked          = &Error{CloseProtocolError, "unmasked frame from a client"}
	ErrMasked            = &Error{CloseProtocolError, "masked frame from a server"}
	ErrBadCloseCode      = &Error{CloseProtocolError, "invalid close code"}
	ErrBadClosePayload   = &Error{CloseProtocolError, "close payload of one byte"}
	ErrUnexpectedCont    = &Error{CloseProtocolError, "continuation frame without a message"}
	ErrExpectedCont      = &Error{CloseProtocolError, "new data frame inside a fragmented message"}
	ErrInvalidUTF8       = &Error{CloseInvalidPayload, "invalid UTF-8 in a text message"}
	ErrBadCompressed     = &Error{CloseInvalidPayload, "invalid compressed data"}
	ErrTooBig            = &Error{CloseTooBig, "message too big"}
)

// ValidCloseCode reports whether code may be sent in a close frame
// (§7.4): 1000–1003, 1007–1011 and the registered 1012–1014, and the
// ranges 3000–4999 for libraries and applications. 1004–1006 and 1015 are
// reserved for reporting and never on the wire.
func ValidCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// ParseClose parses a close frame's payload (§5.5.1): an empty payload
// reports CloseNoStatus; otherwise a valid code and a UTF-8 reason, which
// is a view of payload.
func ParseClose(payload []byte) (code int, reason []byte, err error) {
	switch len(payload) {
	case 0:
		return CloseNoStatus, nil, nil
	case 1:
		return 0, nil, ErrBadClosePayload
	}
	code = int(binary.BigEndian.Uint16(payload))
	if !ValidCloseCode(code) {
		return 0, nil, ErrBadCloseCode
	}
	reason = payload[2:]
	if !utf8.Valid(reason) {
		return 0, nil, ErrInvalidUTF8
	}
	return code, reason, nil
}

// AppendClose appends a close payload to dst: code then reason, the reason
// cut on a rune boundary so the payload fits a control frame. A code of
// CloseNoStatus appends nothing (an empty close frame).
func AppendClose(dst []byte, code int, reason string) []byte {
	if code == CloseNoStatus {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	if len(reason) > MaxControlPayload-2 {
		reason = reason[:MaxControlPayload-2]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	return append(dst, reason...)
}
