package asgi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxControlFrame bounds the frames held whole (ready, fatal, head,
// abort); data frames are bounded by the window instead.
const maxControlFrame = 16 << 20

// frameReader reads the frames a worker sends and checks what can be
// checked without knowing the streams: the header's length against the
// frame type's bound, and the payload of fixed-size frames. It is the
// Go side's decoder of untrusted bytes (FuzzFrameReader).
type frameReader struct {
	br      *bufio.Reader
	hdr     [FrameHeaderLen]byte
	scratch []byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// whole reports whether a whole frame is buffered: reading it will not
// wait for the worker.
func (f *frameReader) whole() bool {
	b, _ := f.br.Peek(min(f.br.Buffered(), FrameHeaderLen))
	if len(b) < FrameHeaderLen {
		return false
	}
	_, _, n := ParseFrameHeader(b)
	return f.br.Buffered()-FrameHeaderLen >= int(n)
}

// errFrame is a frame that breaks the protocol.
var errFrame = errors.New("asgi: protocol error")

// next reads a frame's header and checks its length.
func (f *frameReader) next() (typ byte, stream, n uint32, err error) {
	if _, err := io.ReadFull(f.br, f.hdr[:]); err != nil {
		return 0, 0, 0, err
	}
	typ, stream, n = ParseFrameHeader(f.hdr[:])
	switch typ {
	case FrameData:
		if n > Window {
			return 0, 0, 0, fmt.Errorf("%w: %d-byte data frame, more than the window", errFrame, n)
		}
	case FrameEnd, FramePong:
		if n != 0 {
			return 0, 0, 0, fmt.Errorf("%w: %q frame with a payload", errFrame, typ)
		}
	case FrameCredit:
		if n != 4 {
			return 0, 0, 0, fmt.Errorf("%w: credit frame of %d bytes", errFrame, n)
		}
	case FrameWSSend:
		if n < 1 || n > maxControlFrame+1 {
			return 0, 0, 0, fmt.Errorf("%w: %d-byte websocket.send frame", errFrame, n)
		}
	case FrameWSClose:
		if n < 2 || n > 125 {
			return 0, 0, 0, fmt.Errorf("%w: %d-byte websocket.close frame", errFrame, n)
		}
	case FrameReady, FrameFatal, FrameHead, FrameAbort, FramePathSend, FrameWSAccept:
		if n > maxControlFrame {
			return 0, 0, 0, fmt.Errorf("%w: %d-byte %q frame", errFrame, n, typ)
		}
	default:
		return 0, 0, 0, fmt.Errorf("%w: unknown frame type %q", errFrame, typ)
	}
	if (stream == 0) != (typ == FrameReady || typ == FrameFatal || typ == FramePong) {
		return 0, 0, 0, fmt.Errorf("%w: %q frame on stream %d", errFrame, typ, stream)
	}
	return typ, stream, n, nil
}

// payload reads a payload of n bytes (checked by next) into a scratch
// buffer, valid until the next call.
func (f *frameReader) payload(n uint32) ([]byte, error) {
	if cap(f.scratch) < int(n) {
		f.scratch = make([]byte, n)
	}
	b := f.scratch[:n]
	if _, err := io.ReadFull(f.br, b); err != nil {
		return nil, unexpected(err)
	}
	if cap(f.scratch) > 1<<20 {
		f.scratch = nil // one large traceback must not cost its size for the worker's life
	}
	return b, nil
}

// into appends a payload of n bytes to dst.
func (f *frameReader) into(dst []byte, n uint32) ([]byte, error) {
	l := len(dst)
	dst = append(dst, make([]byte, n)...)[:l+int(n)]
	if _, err := io.ReadFull(f.br, dst[l:]); err != nil {
		return dst[:l], unexpected(err)
	}
	return dst, nil
}

// discard skips a payload of n bytes.
func (f *frameReader) discard(n uint32) error {
	_, err := f.br.Discard(int(n))
	return unexpected(err)
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
