package static

import (
	"bytes"
	"io"
	"os"
	"sync"

	"github.com/andybalholm/brotli"
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
