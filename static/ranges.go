package static

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/brick-server/brick/wire"
)

// byteRange is one satisfiable range: length bytes from start.
type byteRange struct {
	start, length int64
}

// maxRanges caps the ranges of one request: a client asking for more is
// served the whole file, so a crafted Range cannot multiply the work.
const maxRanges = 32

// parseRange reads a Range field (RFC 9110 §14.1.2) for a representation
// of size bytes. ignore is true when the field should be ignored (another
// unit, bad syntax, too many ranges, or ranges together larger than the
// file): the whole file is served. Otherwise ranges holds the satisfiable
// ranges, appended to dst (a caller's array keeps one range off the heap);
// empty means 416.
func parseRange(dst []byteRange, v []byte, size int64) (ranges []byteRange, ignore bool) {
	ranges = dst
	unit, set, ok := bytes.Cut(v, []byte("="))
	// Range units are case-insensitive (RFC 9110 §14.1).
	if !ok || !wire.EqualFold(wire.TrimOWS(unit), "bytes") {
		return nil, true
	}
	var total int64
	n := 0
	for len(set) > 0 {
		var spec []byte
		if i := bytes.IndexByte(set, ','); i >= 0 {
			spec, set = set[:i], set[i+1:]
		} else {
			spec, set = set, nil
		}
		spec = wire.TrimOWS(spec)
		if len(spec) == 0 {
			continue // empty list elements are allowed (RFC 9110 §5.6.1)
		}
		if n++; n > maxRanges {
			return nil, true
		}
		first, last, ok := bytes.Cut(spec, []byte("-"))
		if !ok {
			return nil, true
		}
		var br byteRange
		if len(first) == 0 {
			// suffix-range: the last N bytes.
			k, ok := parsePos(last)
			if !ok {
				return nil, true
			}
			if k == 0 || size == 0 {
				continue // unsatisfiable
			}
			k = min(k, size)
			br = byteRange{size - k, k}
		} else {
			a, ok := parsePos(first)
			if !ok {
				return nil, true
			}
			end := size - 1
			if len(last) > 0 {
				b, ok := parsePos(last)
				if !ok || lessDecimal(last, first) {
					return nil, true // invalid: the field is ignored
				}
				end = min(b, size-1)
			}
			if a >= size {
				continue // unsatisfiable
			}
			br = byteRange{a, end - a + 1}
		}
		if br.length > size-total {
			// Overlapping ranges asking for more than the file: serve it
			// whole rather than amplify (RFC 9110 §14.2 allows ignoring).
			// One range is never more than the file, and checked as it
			// grows the total cannot overflow.
			return nil, true
		}
		total += br.length
		ranges = append(ranges, br)
	}
	if n == 0 {
		return nil, true
	}
	return ranges, false
}

// parsePos reads a position or length of a range: one or more digits.
// A value past math.MaxInt64 is kept as math.MaxInt64: it is past the end
// of any file, so "0-99999999999999999999" still means the whole file as
// RFC 9110 §14.1.1 says, instead of a syntax error.
func parsePos(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if d := int64(c - '0'); n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
		} else {
			n = n*10 + d
		}
	}
	return n, true
}

// lessDecimal reports whether the digit string a is numerically less than
// b, at any length: parsePos saturates, this does not.
func lessDecimal(a, b []byte) bool {
	a, b = bytes.TrimLeft(a, "0"), bytes.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return bytes.Compare(a, b) < 0
}

// appendContentRange appends a Content-Range value for r of a size-byte
// file to b.
func appendContentRange(b []byte, r byteRange, size int64) []byte {
	b = append(b, "bytes "...)
	b = strconv.AppendInt(b, r.start, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, r.start+r.length-1, 10)
	b = append(b, '/')
	return strconv.AppendInt(b, size, 10)
}

// multipart lays out a multipart/byteranges body (RFC 9110 §14.6): the
// header block before each part and the closing delimiter.
type multipart struct {
	boundary string
	heads    []string
	tail     string
	length   int64
}

func newMultipart(ranges []byteRange, size int64, ctype string) *multipart {
	var rnd [12]byte
	rand.Read(rnd[:])
	m := &multipart{boundary: hex.EncodeToString(rnd[:])}
	for i, r := range ranges {
		h := "\r\n--" + m.boundary + "\r\nContent-Type: " + ctype + "\r\nContent-Range: " + string(appendContentRange(nil, r, size)) + "\r\n\r\n"
		if i == 0 {
			h = h[2:] // the body starts with the first delimiter
		}
		m.heads = append(m.heads, h)
		m.length += int64(len(h)) + r.length
	}
	m.tail = "\r\n--" + m.boundary + "--\r\n"
	m.length += int64(len(m.tail))
	return m
}
