package server

import (
	"errors"
	"io"
	"os"

	"github.com/brick-server/brick/internal/bufpool"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// ErrBodyReadAfterClose is returned when a request body is read after its
// handler returned.
var ErrBodyReadAfterClose = errors.New("server: request body read after the handler returned")

// bodyError is a failure to receive a request body that is not in its
// framing: the client was too slow or stopped sending. A handler's Read
// returns it; when nothing was sent yet, the server answers with Status.
type bodyError struct {
	Status int
	Reason string
	err    error // what errors.Is finds: os.ErrDeadlineExceeded or io.ErrUnexpectedEOF
}

func (e *bodyError) Error() string { return "server: " + e.Reason }
func (e *bodyError) Unwrap() error { return e.err }

var (
	errBodyTimeout    = &bodyError{408, "request body timeout", os.ErrDeadlineExceeded}
	errBodyIncomplete = &bodyError{400, "incomplete request body", io.ErrUnexpectedEOF}
)

// bodyErrorStatus returns the status and reason to answer a failed body
// with: the framing error's (400, 413), 408 for a timeout, else 400.
func bodyErrorStatus(err error) (int, string) {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Status, we.Reason
	}
	var be *bodyError
	if errors.As(err, &be) {
		return be.Status, be.Reason
	}
	return 400, "bad request body"
}

// minBodyRoom is the free space the read buffer needs behind a request head
// to read body bytes into it: a chunk-size line must fit whole.
const minBodyRoom = 4096 + 512

// body streams a request body from the connection to the handler. Bytes
// come from the read buffer first (the client may have sent them with the
// head) and then from the socket; the head's bytes are never moved while
// the handler runs, because the request's views point at them.
type body struct {
	x            *exchange
	left         int64 // bytes left of a Content-Length body
	chunked      bool
	dec          wire.ChunkedDecoder
	pend         []byte // decoded chunk data not yet handed out (in c.buf)
	base         int    // where the body area of the read buffer starts
	eof          bool
	err          error
	active       bool
	needCont     bool
	continueSent bool
	read         int64
}

func (b *body) init(x *exchange) {
	req := &x.req
	*b = body{x: x, base: x.headEnd, active: true}
	switch {
	case req.Chunked:
		b.chunked = true
		b.dec.Limit = x.set.lim.MaxBodyBytes
	case req.ContentLength > 0:
		b.left = req.ContentLength
	default:
		b.eof = true
		req.Body = web.NoBody
		return
	}
	b.needCont = req.Expect100
	req.Body = b
}

// Read reads body bytes.
func (b *body) Read(p []byte) (int, error) {
	switch {
	case !b.active:
		return 0, ErrBodyReadAfterClose
	case b.err != nil:
		return 0, b.err
	case b.eof:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	var n int
	var err error
	if b.chunked {
		n, err = b.readChunked(p)
	} else {
		n, err = b.readLength(p)
	}
	b.read += int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *body) readLength(p []byte) (int, error) {
	c := b.x.c
	if c.r == c.w {
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p[:min(int64(len(p)), b.left)], c.buf[c.r:c.w])
	c.r += n
	b.left -= int64(n)
	if b.left == 0 {
		b.eof = true
		return n, io.EOF
	}
	return n, nil
}

func (b *body) readChunked(p []byte) (int, error) {
	c := b.x.c
	for len(b.pend) == 0 {
		if c.r < c.w {
			n, data, err := b.dec.Decode(c.buf[c.r:c.w])
			c.r += n
			if err == io.EOF {
				b.eof = true
				return 0, io.EOF
			}
			if err != nil && err != wire.ErrNeedMore {
				return 0, err
			}
			if len(data) > 0 {
				b.pend = data
				break
			}
			if err == nil {
				continue
			}
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.pend)
	b.pend = b.pend[n:]
	return n, nil
}

// fill reads more body bytes into the read buffer. Before it may block it
// sends "100 Continue" when the client waits for it, and any responses
// still gathered, so neither side waits for the other.
func (b *body) fill() error {
	x := b.x
	c := x.c
	if b.needCont && !b.continueSent {
		b.continueSent = true
		x.out = append(x.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
		x.resp.start = len(x.out)
	}
	if len(x.out) > 0 {
		// Earlier pipelined responses and the 100 Continue go out now;
		// this response's head is not in x.out until the handler commits.
		if err := x.flush(); err != nil {
			return err
		}
	}
	b.makeRoom()
	s := c.srv
	for {
		deadline := s.clock.Now() + int64(x.set.to.Read)
		n, err := c.t.read(c.buf[c.w:], deadline)
		if err == errAgain {
			if err := c.t.waitRead(deadline); err != nil {
				return errBodyTimeout
			}
			continue
		}
		if errors.Is(err, errTimeout) {
			return errBodyTimeout
		}
		if n <= 0 || err != nil {
			return errBodyIncomplete
		}
		c.w += n
		return nil
	}
}

// makeRoom makes free space behind the unconsumed bytes without moving the
// request head: it moves unconsumed body bytes down to the start of the
// body area, and when the head leaves too little room it switches to a new
// buffer, leaving the old one (and the head's views) to the collector.
func (b *body) makeRoom() {
	c := b.x.c
	if len(b.pend) > 0 {
		return
	}
	if c.r == c.w {
		c.r, c.w = b.base, b.base
	} else if c.r > b.base && len(c.buf)-c.w < minBodyRoom {
		n := copy(c.buf[b.base:], c.buf[c.r:c.w])
		c.r, c.w = b.base, b.base+n
	}
	if len(c.buf)-c.w >= minBodyRoom {
		return
	}
	nb := bufpool.Get(max(readBufSize, 2*(c.w-c.r)+minBodyRoom))
	nb = nb[:cap(nb)]
	n := copy(nb, c.buf[c.r:c.w])
	c.buf, c.r, c.w = nb, 0, n
	// The old buffer is not returned to the pool: the request's views
	// still point into it, so the garbage collector takes it later.
	b.base = 0
}

// finish runs after the handler: it reads and discards what the handler
// left of the body, up to MaxDrainBytes, so the connection can serve the
// next request. It returns false when the connection must close instead.
func (b *body) finish() bool {
	b.active = false
	if b.err != nil {
		return false
	}
	if b.eof {
		return true
	}
	if b.needCont && !b.continueSent {
		// The client may never send the body it was not asked for.
		return false
	}
	c := b.x.c
	limit := b.x.set.lim.MaxDrainBytes
	if !b.chunked && b.left > limit {
		return false
	}
	b.active = true
	defer func() { b.active = false }()
	var scratch [512]byte
	for drained := int64(0); ; {
		if !b.chunked && int64(c.w-c.r) >= b.left {
			c.r += int(b.left)
			return true
		}
		n, err := b.Read(scratch[:])
		drained += int64(n)
		if err == io.EOF {
			return true
		}
		if err != nil || drained > limit {
			return false
		}
	}
}
