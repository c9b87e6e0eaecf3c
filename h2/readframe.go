package h2

import (
	"io"

	"golang.org/x/net/http2"
)

// The read loop takes every frame from x/net's Framer except HEADERS,
// whose payload it reads and parses itself into a buffer of its own: the
// Framer allocates a HeadersFrame for each, one allocation per request.
// The Framer still reads the frame header, so its checks (frame size,
// CONTINUATION order) see every frame; the parse below keeps its
// behaviour for malformed frames.

// headersFrame is a HEADERS frame: fields as http2.HeadersFrame has them.
type headersFrame struct {
	id          uint32
	endStream   bool
	endHeaders  bool
	hasPriority bool
	dep         uint32 // the stream it depends on, with hasPriority
	frag        []byte // the header block fragment, valid until the next read
}

// readFrame reads the next frame: a HEADERS frame in *hf (f nil), any
// other as the Framer returns it.
func (c *Conn) readFrame(hf *headersFrame) (f http2.Frame, isHeaders bool, err error) {
	fh, err := c.rf.ReadFrameHeader()
	if err != nil {
		return nil, false, err
	}
	if fh.Type != http2.FrameHeaders {
		c.rfMax = max(c.rfMax, fh.Length)
		f, err = c.rf.ReadFrameForHeader(fh)
		return f, false, err
	}
	if cap(c.hpay) < int(fh.Length) {
		c.hpay = make([]byte, fh.Length, max(fh.Length, 512))
	}
	p := c.hpay[:fh.Length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return nil, false, err
	}
	return nil, true, parseHeaders(fh, p, hf)
}

// parseHeaders parses a HEADERS payload (RFC 9113 §6.2) as the Framer does.
func parseHeaders(fh http2.FrameHeader, p []byte, hf *headersFrame) error {
	if fh.StreamID == 0 {
		return connErr{http2.ErrCodeProtocol, "HEADERS frame with stream ID 0"}
	}
	*hf = headersFrame{
		id:          fh.StreamID,
		endStream:   fh.Flags.Has(http2.FlagHeadersEndStream),
		endHeaders:  fh.Flags.Has(http2.FlagHeadersEndHeaders),
		hasPriority: fh.Flags.Has(http2.FlagHeadersPriority),
	}
	pad := 0
	if fh.Flags.Has(http2.FlagHeadersPadded) {
		if len(p) < 1 {
			return io.ErrUnexpectedEOF
		}
		pad, p = int(p[0]), p[1:]
	}
	if hf.hasPriority {
		if len(p) < 5 {
			return io.ErrUnexpectedEOF
		}
		hf.dep = (uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])) & 0x7fffffff
		p = p[5:]
	}
	if len(p) < pad {
		return http2.StreamError{StreamID: fh.StreamID, Code: http2.ErrCodeProtocol}
	}
	hf.frag = p[:len(p)-pad]
	return nil
}
