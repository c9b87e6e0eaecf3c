package wsgi

import (
	"errors"
	"fmt"
	"io"
)

// frameReader reads the frames a worker sends, through a buffer of its
// own. It knows the framing, not which frames make a response (that is the
// handler's business), and what it returns never depends on how the
// stream was cut into reads: FuzzFrameStream holds it to that.
//
// Frames are read in one of two ways. readFrame returns a whole frame,
// bounded by limit: the head, ready, fatal and abort frames, and the data
// frames of a response already whole in the buffer (buffered). header,
// then chunk or payload, stream a frame: a data frame of any size passes
// through in pieces no larger than the buffer.
type frameReader struct {
	src  io.Reader
	buf  []byte
	r, w int // buf[r:w] has been read and not yet consumed
	// size is the buffer's usual size: a buffer grown for a large frame
	// shrinks back to it between responses (shrink).
	size int
	// limit bounds a frame held whole; data frames streamed are not.
	limit uint32
	// sample is what the last sampled end frame said (sampleBlocked or
	// sampleRan), 0 once taken (takeSample).
	sample byte
}

// maxControlFrame bounds frames that are held whole: head, ready, fatal
// and abort. Data frames stream through and have no bound.
const maxControlFrame = 16 << 20

// frameBufferSize is the usual size of a worker's read buffer: most
// responses fit whole, so the worker is free before the client is served.
const frameBufferSize = 64 << 10

// errEndPayload is an end frame that carries more than a sample: the
// worker and Brick disagree on where the response ends.
var errEndPayload = errors.New("wsgi: end frame with a payload")

// What the one byte of a sampled end frame says (see doc.go): the
// application blocked in the kernel while it ran (waited for a database,
// a file, a lock), or it did not.
const (
	sampleBlocked byte = 'b'
	sampleRan     byte = 'r'
)

func newFrameReader(src io.Reader, size int, limit uint32) frameReader {
	return frameReader{src: src, buf: make([]byte, size), size: size, limit: limit}
}

// fill reads more bytes, so that at least k unconsumed bytes are
// buffered. The buffer grows for a frame larger than it.
func (f *frameReader) fill(k int) error {
	if f.w-f.r >= k {
		return nil
	}
	if f.r == f.w {
		f.r, f.w = 0, 0
	}
	if f.r+k > len(f.buf) {
		if k > len(f.buf) {
			nb := make([]byte, max(k, 2*len(f.buf)))
			copy(nb, f.buf[f.r:f.w])
			f.buf = nb
		} else {
			copy(f.buf, f.buf[f.r:f.w])
		}
		f.w -= f.r
		f.r = 0
	}
	for f.w-f.r < k {
		n, err := f.src.Read(f.buf[f.w:])
		f.w += n
		if err != nil {
			if err == io.EOF && f.w-f.r < k {
				return io.ErrUnexpectedEOF
			}
			if f.w-f.r < k {
				return err
			}
		}
	}
	return nil
}

// check applies the rules every frame header must pass, whichever way the
// frame is read.
func (f *frameReader) check(typ byte, n uint32, whole bool) error {
	switch {
	case typ == FrameEnd && n > 1:
		return errEndPayload
	case (whole || typ != FrameData) && n > f.limit:
		return fmt.Errorf("wsgi: %d-byte %q frame", n, typ)
	}
	return nil
}

// readFrame reads one whole frame. The payload is a view into the
// buffer, valid until the next read.
func (f *frameReader) readFrame() (typ byte, payload []byte, err error) {
	if err := f.fill(FrameHeaderLen); err != nil {
		return 0, nil, err
	}
	typ, n := ParseFrameHeader(f.buf[f.r:])
	if err := f.check(typ, n, true); err != nil {
		return 0, nil, err
	}
	if err := f.fill(FrameHeaderLen + int(n)); err != nil {
		return 0, nil, err
	}
	start := f.r + FrameHeaderLen
	f.r = start + int(n)
	if typ == FrameEnd && n == 1 {
		f.sample = f.buf[start]
		return typ, nil, nil
	}
	return typ, f.buf[start:f.r:f.r], nil
}

// takeSample returns what the last sampled end frame said, once.
func (f *frameReader) takeSample() byte {
	s := f.sample
	f.sample = 0
	return s
}

// header reads the next frame's header, for a frame read in pieces: its
// payload follows, through chunk (data) or payload (the others).
func (f *frameReader) header() (typ byte, n uint32, err error) {
	if err := f.fill(FrameHeaderLen); err != nil {
		return 0, 0, err
	}
	typ, n = ParseFrameHeader(f.buf[f.r:])
	if err := f.check(typ, n, false); err != nil {
		return 0, 0, err
	}
	if typ == FrameEnd && n == 1 {
		// A sample: taken here, so that an end frame reads the same
		// either way.
		if err := f.fill(FrameHeaderLen + 1); err != nil {
			return 0, 0, err
		}
		f.sample = f.buf[f.r+FrameHeaderLen]
		f.r++
		n = 0
	}
	f.r += FrameHeaderLen
	return typ, n, nil
}

// chunk returns the next piece, at most n bytes and at least one, of a
// payload whose header was read. It is a view into the buffer, valid
// until the next read.
func (f *frameReader) chunk(n int) ([]byte, error) {
	if err := f.fill(1); err != nil {
		return nil, err
	}
	k := min(n, f.w-f.r)
	b := f.buf[f.r : f.r+k : f.r+k]
	f.r += k
	return b, nil
}

// payload returns the whole payload of n bytes of a frame whose header
// was read (header checked n against the limit). It is a view into the
// buffer, valid until the next read.
func (f *frameReader) payload(n uint32) ([]byte, error) {
	if err := f.fill(int(n)); err != nil {
		return nil, err
	}
	b := f.buf[f.r : f.r+int(n) : f.r+int(n)]
	f.r += int(n)
	return b, nil
}

// buffered reports whether a whole response (up to its end or abort
// frame) is already in the buffer and can be taken with readFrame, so the
// worker can be released before a single byte is written to the client.
func (f *frameReader) buffered() bool {
	b := f.buf[f.r:f.w]
	for len(b) >= FrameHeaderLen {
		typ, n := ParseFrameHeader(b)
		if uint64(len(b)) < FrameHeaderLen+uint64(n) || n > f.limit {
			return false
		}
		if typ == FrameEnd || typ == FrameAbort {
			return true
		}
		b = b[FrameHeaderLen+int(n):]
	}
	return false
}

// shrink gives back a buffer that grew for a large frame, once nothing
// is left in it: one large head must not cost its size for the worker's
// whole life.
func (f *frameReader) shrink() {
	if f.r == f.w && len(f.buf) > f.size {
		f.buf = make([]byte, f.size)
		f.r, f.w = 0, 0
	}
}
