package wire

import (
	"bytes"
	"io"
	"math"
)

// Chunked-decoding limits.
const (
	// maxChunkLine bounds a chunk-size line, CRLF included, as net/http
	// does: chunk extensions are otherwise a free way to make a server read
	// unbounded data that never counts as body.
	maxChunkLine = 4096
	// maxChunkSizeDigits bounds the hex digits of a chunk size, leading
	// zeros included, as net/http does.
	maxChunkSizeDigits = 16
	// maxChunkOverhead bounds framing bytes (size lines, extensions, CRLFs)
	// not paid for by data, with net/http's accounting: each chunk earns 16
	// bytes plus twice its size. Tiny chunks with long extensions would
	// otherwise cost the server far more reading than the body limit says.
	maxChunkOverhead = 16 << 10
	// DefaultMaxTrailerBytes bounds the trailer section, CRLFs included.
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
	total    int64 // sum of the chunk sizes so far
	excess   int64 // framing overhead not yet paid for by data
	trailers int   // bytes of trailer section seen
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
//
// Line endings are strictly CRLF: a bare LF or CR inside chunked framing is
// a known request-smuggling vector, so unlike in the head it is refused.
// The verdict never depends on how the input was split.
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
			if d.Limit > 0 && size > d.Limit-d.total {
				return n, nil, ErrBodyTooLarge
			}
			d.excess = max(0, d.excess+int64(used)-16-2*min(size, maxChunkOverhead))
			if d.excess > maxChunkOverhead {
				return n, nil, ErrChunkOverhead
			}
			// Only a line that passed every check counts as consumed, so
			// on error n is where the offending element starts.
			n += used
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
			line, used, err := d.trailerLine(in[n:])
			if err != nil {
				return n, nil, err
			}
			if len(line) == 0 {
				d.state = chunkDone
				return n + used, nil, io.EOF
			}
			if err := checkTrailerField(line); err != nil {
				return n, nil, err
			}
			n += used
		case chunkDone:
			return n, nil, io.EOF
		}
	}
}

// chunkLine returns the next CRLF-terminated chunk-size line without its
// CRLF. A partial line is rejected early only when no ending can make it
// valid and every ending gives the same error.
func chunkLine(b []byte) (line []byte, used int, err error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) >= maxChunkLine || badChunkSizePrefix(b) {
			return nil, 0, ErrBadChunk
		}
		return nil, 0, ErrNeedMore
	}
	if i >= maxChunkLine || i == 0 || b[i-1] != '\r' {
		return nil, 0, ErrBadChunk
	}
	return b[:i-1], i + 1, nil
}

// badChunkSizePrefix reports whether b, the start of a chunk-size line
// without its LF, already cannot be one whatever follows, in a way the
// complete line would be refused for with the same error: it does not
// start with a hex digit, or its digits, while not yet too large (413), are
// followed by a byte that can start neither an extension nor the CRLF.
func badChunkSizePrefix(b []byte) bool {
	_, i, err := scanChunkSize(b)
	switch {
	case err != nil || i == len(b):
		return false
	case i == 0:
		return true
	}
	c := b[i]
	return c != ';' && c != ' ' && c != '\t' && (c != '\r' || i+1 < len(b))
}

func hexValue(c byte) int64 {
	switch {
	case c >= '0' && c <= '9':
		return int64(c - '0')
	case c >= 'a' && c <= 'f':
		return int64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int64(c-'A') + 10
	}
	return -1
}

// scanChunkSize reads the hex digits at the start of line and returns
// their value and count; too many digits or an int64 overflow is 413.
func scanChunkSize(line []byte) (size int64, n int, err error) {
	for ; n < len(line); n++ {
		v := hexValue(line[n])
		if v < 0 {
			break
		}
		if n >= maxChunkSizeDigits || size > math.MaxInt64>>4 {
			return 0, n, ErrChunkTooLarge
		}
		size = size<<4 | v
	}
	return size, n, nil
}

// parseChunkSize parses chunk-size [ chunk-ext ] (RFC 9112 §7.1.1).
func parseChunkSize(line []byte) (int64, error) {
	size, i, err := scanChunkSize(line)
	if err != nil {
		return 0, err
	}
	if i == 0 || !validChunkExt(line[i:]) {
		return 0, ErrBadChunk
	}
	return size, nil
}

// validChunkExt checks chunk-ext = *( BWS ";" BWS chunk-ext-name
// [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1), where chunk-ext-val is
// a token or a quoted-string. Whitespace is allowed only where the grammar
// has BWS: before a ';', after it, and around '='. So "5 \r\n" and
// "5;a=1 \r\n" are refused: net/http trims such trailing whitespace, but a
// proxy that reads the line some other way would frame the body differently.
func validChunkExt(b []byte) bool {
	for len(b) > 0 {
		b = skipBWS(b)
		if len(b) == 0 || b[0] != ';' {
			return false
		}
		b = skipBWS(b[1:])
		i := 0
		for i < len(b) && tokenTable[b[i]] {
			i++
		}
		if i == 0 {
			return false
		}
		b = b[i:]
		if v := skipBWS(b); len(v) > 0 && v[0] == '=' {
			b = skipBWS(v[1:])
		} else {
			continue
		}
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
	return true
}

// skipBWS removes the whitespace (SP and HTAB) at the start of b.
func skipBWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
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

// trailerLine returns the next CRLF-terminated trailer line without its
// CRLF, counting it against DefaultMaxTrailerBytes. The size is judged
// before the content, and a partial line as soon as it cannot fit, so the
// verdict is the same however the input was split.
func (d *ChunkedDecoder) trailerLine(b []byte) (line []byte, used int, err error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if d.trailers+len(b) >= DefaultMaxTrailerBytes {
			return nil, 0, ErrTrailerTooLarge
		}
		return nil, 0, ErrNeedMore
	}
	if d.trailers+i+1 > DefaultMaxTrailerBytes {
		return nil, 0, ErrTrailerTooLarge
	}
	if i == 0 || b[i-1] != '\r' {
		return nil, 0, ErrBadChunk
	}
	d.trailers += i + 1
	return b[:i-1], i + 1, nil
}

// checkTrailerField checks a trailer field line like a header field line
// (RFC 9112 §7.1.2).
func checkTrailerField(line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		return ErrObsFold
	}
	_, _, err := parseFieldLine(line)
	return err
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
// writes the n bytes and then "\r\n". n must not be negative, and n == 0
// writes the last chunk's line, which ends the body.
func AppendChunkHeader(dst []byte, n int) []byte {
	if n < 0 {
		panic("wire: negative chunk size")
	}
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
