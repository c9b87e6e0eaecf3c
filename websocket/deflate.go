package websocket

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"

	"github.com/brick-server/brick/wire/wsframe"
)

// permessage-deflate (RFC 7692). The server never takes its compression
// context over (it always answers server_no_context_takeover), so a
// compressor is borrowed from a pool for one message and returned: an idle
// connection holds none. Decompressors are pooled likewise; what a
// connection keeps between messages is, only when the client takes its
// context over, the last 2^client_max_window_bits bytes it sent (the
// window its next message may refer to).

// tail is what the sender removed from each message (§7.2.1): an empty
// stored block that ends the flush.
var tail = []byte{0x00, 0x00, 0xff, 0xff}

// maxKeptBuffer is the largest scratch buffer a connection keeps after a
// message; a bigger one, grown by a large message, goes to the collector.
const maxKeptBuffer = 64 << 10

// writerPools holds compressors by window bits (8 to 15).
var writerPools [16]sync.Pool

var (
	readerPool sync.Pool
	noInput    = bytes.NewReader(nil)
)

func (c *Conn) enableDeflate(d wsframe.Deflate) {
	c.parser.AllowRsv = wsframe.RSV1
	c.deflate = &deflater{bits: d.ServerMaxWindowBits}
	c.inflate = &inflater{}
	if !d.ClientNoContextTakeover {
		c.inflate.window = 1 << d.ClientMaxWindowBits
	}
}

type deflater struct {
	bits int
	out  sliceWriter
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// compress returns p compressed as one message; the result is valid until
// the next call.
func (d *deflater) compress(p []byte) ([]byte, error) {
	if cap(d.out.b) > maxKeptBuffer {
		d.out.b = nil
	}
	d.out.b = d.out.b[:0]
	pool := &writerPools[d.bits]
	fw, _ := pool.Get().(*flate.Writer)
	var err error
	switch {
	case fw != nil:
		fw.Reset(&d.out)
	case d.bits == 15:
		fw, err = flate.NewWriter(&d.out, flate.BestSpeed)
	default:
		fw, err = flate.NewWriterWindow(&d.out, 1<<d.bits)
	}
	if err != nil {
		return nil, err
	}
	_, err = fw.Write(p)
	if err == nil {
		err = fw.Flush()
	}
	fw.Reset(io.Discard)
	pool.Put(fw)
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(d.out.b, tail), nil
}

type inflater struct {
	// window is how many bytes of past messages the client may refer to;
	// 0 when it takes no context over.
	window int
	dict   []byte
	src    []byte
	in     bytes.Reader
}

// decompress inflates the compressed message in msg, in place of it, and
// fails with ErrTooBig as soon as the output passes limit: a small message
// that inflates to gigabytes costs no more than limit.
func (z *inflater) decompress(msg []byte, limit int64) ([]byte, error) {
	z.src = append(z.src[:0], msg...)
	z.src = append(z.src, tail...)
	z.in.Reset(z.src)
	fr, _ := readerPool.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReaderDict(&z.in, z.dict)
	} else if err := fr.(flate.Resetter).Reset(&z.in, z.dict); err != nil {
		return msg[:0], err
	}
	defer func() {
		// Pooled, it must not keep this connection's buffers alive.
		fr.(flate.Resetter).Reset(noInput, nil)
		readerPool.Put(fr)
	}()
	out := msg[:0]
	for {
		if len(out) == cap(out) {
			out = grow(out, max(512, len(out)))[:len(out)]
		}
		n, err := fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if int64(len(out)) > limit {
			return out, wsframe.ErrTooBig
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return out, wsframe.ErrBadCompressed
		}
	}
	if z.in.Len() != 0 {
		// Data after a final block.
		return out, wsframe.ErrBadCompressed
	}
	if cap(z.src) > maxKeptBuffer {
		z.src = nil
	}
	if z.window > 0 {
		z.keep(out)
	}
	return out, nil
}

// keep remembers the last window bytes of the text sent so far.
func (z *inflater) keep(out []byte) {
	if len(out) >= z.window {
		z.dict = append(z.dict[:0], out[len(out)-z.window:]...)
		return
	}
	if over := len(z.dict) + len(out) - z.window; over > 0 {
		z.dict = append(z.dict[:0], z.dict[over:]...)
	}
	z.dict = append(z.dict, out...)
}
