package static

import (
	"bytes"
	"io"
	"os"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/brick-server/brick/wire"
	"github.com/klauspost/compress/gzip"
)

// Content codings Brick produces, in order of preference.
var codings = [...]struct {
	name string // Content-Encoding and Accept-Encoding token
	ext  string // precompressed sibling suffix
}{{"br", ".br"}, {"gzip", ".gz"}}

// brotliQuality is the on-the-fly level: quality 5 compresses text about
// as well as gzip -9 at a fraction of the cost of brotli's maximum.
const brotliQuality = 5

var (
	gzipPool   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression); return w }}
	brotliPool = sync.Pool{New: func() any { return brotli.NewWriterLevel(io.Discard, brotliQuality) }}
)

// compressTo writes src compressed with coding to dst.
func compressTo(dst io.Writer, src io.Reader, coding string) error {
	switch coding {
	case "gzip":
		zw := gzipPool.Get().(*gzip.Writer)
		defer gzipPool.Put(zw)
		zw.Reset(dst)
		if _, err := io.Copy(zw, src); err != nil {
			return err
		}
		return zw.Close()
	case "br":
		bw := brotliPool.Get().(*brotli.Writer)
		defer brotliPool.Put(bw)
		bw.Reset(dst)
		if _, err := io.Copy(bw, src); err != nil {
			return err
		}
		return bw.Close()
	}
	return os.ErrInvalid
}

// compressBytes returns b compressed with coding.
func compressBytes(b []byte, coding string) ([]byte, error) {
	var out bytes.Buffer
	if err := compressTo(&out, bytes.NewReader(b), coding); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writerOnly hides every method but Write, so io.Copy cannot pick a
// ReaderFrom of the destination that would bypass the compressor.
type writerOnly struct{ io.Writer }

// acceptsEncoding reports whether the request's Accept-Encoding fields,
// taken together as one list (RFC 9110 §5.3), accept coding with a
// non-zero weight (§12.5.3): the element naming the coding decides, and
// "*" decides only for a coding not named. Names and the "q" parameter
// are case-insensitive. An element that is not a token with an optional
// valid weight is ignored, so a malformed element accepts nothing.
func acceptsEncoding(h *wire.Header, coding string) bool {
	star, starSeen := false, false
	for _, f := range h.Fields() {
		if !wire.EqualFold(f.Name, "Accept-Encoding") {
			continue
		}
		for v := f.Value; len(v) > 0; {
			var elem []byte
			elem, v = nextElement(v)
			name, accepted, ok := codingWeight(elem)
			switch {
			case !ok:
			case wire.EqualFold(name, coding):
				return accepted
			case !starSeen && string(name) == "*":
				star, starSeen = accepted, true
			}
		}
	}
	return star
}

// nextElement splits a list field value (RFC 9110 §5.6.1) at its first
// comma outside a quoted-string, returning the element with OWS trimmed
// and the rest after the comma.
func nextElement(v []byte) (elem, rest []byte) {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++ // quoted-pair
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			return wire.TrimOWS(v[:i]), v[i+1:]
		}
	}
	return wire.TrimOWS(v), nil
}

// codingWeight reads one Accept-Encoding element: a coding name (or "*")
// and whether its weight is non-zero (a missing weight is 1). ok is false
// for an empty or malformed element. Parameters other than q are
// skipped.
func codingWeight(elem []byte) (name []byte, accepted, ok bool) {
	name, params := cutParam(elem)
	if !wire.IsToken(name) {
		return nil, false, false
	}
	accepted = true
	for len(params) > 0 {
		var p []byte
		p, params = cutParam(params)
		k, val, found := bytes.Cut(p, []byte("="))
		if !found || !wire.EqualFold(wire.TrimOWS(k), "q") {
			continue
		}
		nonzero, valid := parseQValue(wire.TrimOWS(val))
		if !valid {
			return nil, false, false
		}
		accepted = nonzero
	}
	return name, accepted, true
}

// cutParam splits v at its first ';' outside a quoted-string, OWS
// trimmed on both sides.
func cutParam(v []byte) (head, rest []byte) {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ';':
			return wire.TrimOWS(v[:i]), wire.TrimOWS(v[i+1:])
		}
	}
	return wire.TrimOWS(v), nil
}

// parseQValue reads a qvalue (RFC 9110 §12.4.2): "0" [ "." 0*3DIGIT ] or
// "1" [ "." 0*3("0") ]. nonzero reports a weight above zero.
func parseQValue(v []byte) (nonzero, ok bool) {
	if len(v) == 0 || (v[0] != '0' && v[0] != '1') {
		return false, false
	}
	frac := v[1:]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) > 4 {
			return false, false
		}
		frac = frac[1:]
	}
	for _, c := range frac {
		if c < '0' || c > '9' || v[0] == '1' && c != '0' {
			return false, false
		}
		if c != '0' {
			nonzero = true
		}
	}
	return nonzero || v[0] == '1', true
}
