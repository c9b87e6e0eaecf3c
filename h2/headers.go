package h2

import (
	"golang.org/x/net/http2"
)

// headerBlock is the header block being received: a HEADERS frame and
// its CONTINUATIONs. Fragments are decoded as they arrive, each checked
// against the block's encoded bound first; fields are checked as they are
// decoded (fields.go) and kept in the fields' arena.
type headerBlock struct {
	active    bool
	streamID  uint32
	endStream bool
	// What the block is for: a new stream's request, an open stream's
	// trailers, or nothing (decoded only to keep HPACK in step, then the
	// stream reset with resetCode, or ignored when resetCode is 0).
	kind      blockKind
	resetCode http2.ErrCode
	bytes     int // encoded bytes so far
	f         fields
}

type blockKind uint8

const (
	blockRequest blockKind = iota
	blockTrailers
	blockDiscard
)

// maxBlockBytes bounds a header block's encoded size: twice the decoded
// bound leaves room for any honest encoding (HPACK never needs more),
// and past it a client is flooding (CONTINUATION flood, CVE-2024-27316).
func (c *Conn) maxBlockBytes() int { return 2*c.maxHeaderBytes() + 1024 }

func (c *Conn) onHeaders(f *headersFrame) error {
	id := f.id
	if id%2 == 0 {
		return connErr{http2.ErrCodeProtocol, "HEADERS on an even stream id"}
	}
	hb := &c.hb
	*hb = headerBlock{active: true, streamID: id, endStream: f.endStream, f: hb.f}
	hb.f.reset(c.maxHeaderBytes(), c.maxHeaderCount())
	_, s := c.state(id)
	switch s {
	case stIdle:
		c.mu.Lock()
		c.maxID = id
		refuse := len(c.streams) >= int(c.maxStreams())
		away := c.goAwaySent || c.peerGoneAway
		c.mu.Unlock()
		switch {
		case away:
			hb.kind = blockDiscard
		case refuse:
			hb.kind, hb.resetCode = blockDiscard, http2.ErrCodeRefusedStream
		}
		if f.hasPriority && f.dep == id {
			hb.kind, hb.resetCode = blockDiscard, http2.ErrCodeProtocol
		}
	case stOpen:
		// Trailers end the stream (RFC 9113 §8.1).
		hb.kind = blockTrailers
		hb.f.trailers = true
		if !f.endStream {
			hb.kind, hb.resetCode = blockDiscard, http2.ErrCodeProtocol
		}
	case stHalf:
		hb.kind, hb.resetCode = blockDiscard, http2.ErrCodeStreamClosed
	case stClosed:
		c.mu.Lock()
		last := c.maxID
		c.mu.Unlock()
		if id == last {
			return connErr{http2.ErrCodeStreamClosed, "HEADERS on a closed stream"}
		}
		return connErr{http2.ErrCodeProtocol, "HEADERS with a stream id below the last one"}
	}
	return c.fragment(f.frag, f.endHeaders)
}

func (c *Conn) onContinuation(f *http2.ContinuationFrame) error {
	// The framer has checked that it follows its stream's HEADERS.
	if len(f.HeaderBlockFragment()) == 0 && !f.HeadersEnded() {
		if err := c.limits.empty.hit(c.cfg.MaxEmptyPerSecond, defaultMaxEmpty); err != nil {
			return err
		}
	}
	return c.fragment(f.HeaderBlockFragment(), f.HeadersEnded())
}

// fragment decodes one fragment of the current block, bounded before
// decoding, and acts on the block once it ends.
func (c *Conn) fragment(frag []byte, end bool) error {
	hb := &c.hb
	hb.bytes += len(frag)
	if hb.bytes > c.maxBlockBytes() {
		return connErr{http2.ErrCodeEnhanceYourCalm, "header block too large"}
	}
	if _, err := c.hdec.Write(frag); err != nil {
		return connErr{http2.ErrCodeCompression, err.Error()}
	}
	if !end {
		return nil
	}
	hb.active = false
	if err := c.hdec.Close(); err != nil {
		return connErr{http2.ErrCodeCompression, err.Error()}
	}
	id := hb.streamID
	switch hb.kind {
	case blockDiscard:
		if hb.resetCode != 0 {
			return http2.StreamError{StreamID: id, Code: hb.resetCode}
		}
		return nil
	case blockTrailers:
		if hb.f.err != nil {
			return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
		}
		st, s := c.state(id)
		if s != stOpen {
			return nil
		}
		// Trailer fields are checked and dropped, as over HTTP/1.1.
		_, err := c.receive(st, id, nil, 0, true) // a stream finished meanwhile needs nothing
		return err
	}
	if hb.f.err != nil && !hb.f.tooBig {
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	if !hb.f.tooBig {
		if err := hb.f.finish(hb.endStream); err != nil {
			return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
		}
	}
	c.startStream(id, hb.endStream, &hb.f)
	return nil
}
