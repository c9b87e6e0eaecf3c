package wire

import (
	"bytes"
	"io"
)

// Chunked-decoding limits. A chunk line (size and extensions) longer than
// maxChunkLine is refused: chunk extensions are otherwise a free way to make
// a server read unbounded data that never counts as body.
const (
	maxChunkLine       = 4096
	maxChunkSizeDigits = 15 // < 2^60: no overflow in int64 arithmetic
	// DefaultMaxTrailerBytes bounds the trailer section.
	DefaultMaxTrailerBytes = 16 << 10
)

type chunkState uint8

const (
	chunkSize chunkState = iota
	chunkData
	chunkDataEnd
	chunkTrailer
	chunkDone
)

// ChunkedDecoder decodes the chunked transfer coding (RFC 9112 §7.1) in
// place. The zero value is ready; set Limit to bound the decoded body.
type ChunkedDecoder struct {
	// Limit bounds the sum of the chunk sizes; 0 means no limit. Going over
	// it is ErrBodyTooLarge (413).
	Limit int64

	state    chunkState
	left     int64 // bytes left in the current chunk
	total    int64
	trailers int // bytes of trailer section seen
}

// Done reports whether the last chunk and trailer section have been read.
func (d *ChunkedDecoder) Done() bool { return d.state == chunkDone }

// Decode consumes chunked input from in. It returns how many bytes of in it
// consumed and data, a subslice of in holding body bytes (possibly empty).
// It stops after each run of data, so call it until it returns an error:
// ErrNeedMore means in is used up (drop the n consumed bytes, read more and
// call again with the rest), io.EOF means the body ended (n counts the end),
// and an *Error means the encoding is malformed and the connection must be
// closed. Trailer fields are checked and discarded.
func (d *ChunkedDecoder) Decode(in []byte) (n int, data []byte, err error) {
	for {
		switch d.state {
		case chunkSize:
			line, used, err := chunkLine(in[n:])
			if err != nil {
				return n, nil, err
			}
			size, err := parseChunkSize(line)
			if err != nil {
				return n, nil, err
			}
			n += used
			if d.Limit > 0 && d.total+size > d.Limit {
				return n, nil, ErrBodyTooLarge
			}
			d.total += size
			if size == 0 {
				d.state = chunkTrailer
			} else {
				d.state, d.left = chunkData, size
			}
		case chunkData:
			if n == len(in) {
				return n, nil, ErrNeedMore
			}
			k := int(min(d.left, int64(len(in)-n)))
			data = in[n : n+k]
			n += k
			d.left -= int64(k)
			if d.left == 0 {
				d.state = chunkDataEnd
			}
			return n, data, nil
		case chunkDataEnd:
			if len(in)-n < 2 {
				if len(in) > n && in[n] != '\r' {
					return n, nil, ErrBadChunk
				}
				return n, nil, ErrNeedMore
			}
			if in[n] != '\r' || in[n+1] != '\n' {
				return n, nil, ErrBadChunk
			}
			n += 2
			d.state = chunkSize
		case chunkTrailer:
			line, used, err := chunkLine(in[n:])
			if err != nil {
				if err == ErrNeedMore && d.trailers+len(in)-n > DefaultMaxTrailerBytes {
					return n, nil, ErrTrailerTooLarge
				}
				return n, nil, err
			}
			n += used
			d.trailers += used
			if d.trailers > DefaultMaxTrailerBytes {
				return n, nil, ErrTrailerTooLarge
			}
			if len(line) == 0 {
				d.state = chunkDone
				return n, nil, io.EOF
			}
			if err := checkTrailerField(line); err != nil {
				return n, nil, err
			}
		case chunkDone:
			return n, nil, io.EOF
		}
	}
}

// chunkLine returns the next CRLF-terminated line without its CRLF. Inside
// chunked framing a bare LF is an error: lenient line endings here are a
// known request-smuggling vector.
func chunkLine(b []byte) (line []byte, used int, err error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) > maxChunkLine {
			return nil, 0, ErrBadChunk
		}
		return nil, 0, ErrNeedMore
	}
	if i == 0 || b[i-1] != '\r' || i > maxChunkLine {
		return nil, 0, ErrBadChunk
	}
	return b[:i-1], i + 1, nil
}

// parseChunkSize parses chunk-size [ chunk-ext ] (RFC 9112 §7.1.1).
func parseChunkSize(line []byte) (int64, error) {
	var size int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			v = c|0x20 - 'a' + 10
		default:
			goto ext
		}
		if i >= maxChunkSizeDigits {
			return 0, ErrChunkTooLarge
		}
		size = size<<4 | int64(v)
	}
ext:
	if i == 0 {
		return 0, ErrBadChunk
	}
	if !validChunkExt(line[i:]) {
		return 0, ErrBadChunk
	}
	return size, nil
}

// validChunkExt checks *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ),
// where ext-val is a token or a quoted-string.
func validChunkExt(b []byte) bool {
	for {
		b = trimOWS(b)
		if len(b) == 0 {
			return true
		}
		if b[0] != ';' {
			return false
		}
		b = trimOWS(b[1:])
		i := 0
		for i < len(b) && tokenTable[b[i]] {
			i++
		}
		if i == 0 {
			return false
		}
		b = trimOWS(b[i:])
		if len(b) == 0 || b[0] != '=' {
			continue
		}
		b = trimOWS(b[1:])
		if len(b) > 0 && b[0] == '"' {
			end, ok := quotedStringEnd(b)
			if !ok {
				return false
			}
			b = b[end:]
			continue
		}
		i = 0
		for i < len(b) && tokenTable[b[i]] {
			i++
		}
		if i == 0 {
			return false
		}
		b = b[i:]
	}
}

// quotedStringEnd returns the length of the quoted-string at the start of b
// (RFC 9110 §5.6.4).
func quotedStringEnd(b []byte) (int, bool) {
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
			if i >= len(b) || !valueTable[b[i]] {
				return 0, false
			}
		case !valueTable[c]:
			return 0, false
		}
	}
	return 0, false
}

// checkTrailerField checks a trailer field line like a header field line.
func checkTrailerField(line []byte) error {
	var r Request
	var st fieldState
	if line[0] == ' ' || line[0] == '\t' {
		return ErrObsFold
	}
	return r.parseField(line, &st)
}

// AppendChunk appends p as one chunk. An empty p appends nothing, because an
// empty chunk would end the body.
func AppendChunk(dst, p []byte) []byte {
	if len(p) == 0 {
		return dst
	}
	dst = AppendChunkHeader(dst, len(p))
	dst = append(dst, p...)
	return append(dst, '\r', '\n')
}

// AppendChunkHeader appends the size line of a chunk of n bytes; the caller
// writes the n bytes and then "\r\n".
func AppendChunkHeader(dst []byte, n int) []byte {
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = "0123456789abcdef"[n&15]
		n >>= 4
		if n == 0 {
			break
		}
	}
	dst = append(dst, tmp[i:]...)
	return append(dst, '\r', '\n')
}

// LastChunk ends a chunked body with no trailer fields.
const LastChunk = "0\r\n\r\n"
