package h2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
)

// stream is one request and its response. Its handler runs on one of the
// connection's workers (workers.go); the read loop feeds its body and windows under Conn.mu.
type stream struct {
	c  *Conn
	id uint32
	f  fields // the request's decoded fields; req's head views them

	req  web.Request
	resp response
	body bodyReader

	ctx   streamCtx
	start time.Time

	// Under c.mu.
	remoteDone bool   // END_STREAM received: the body is complete
	reset      error  // set when the stream was reset, by either side
	buf        []byte // received body bytes the handler has not read
	received   int64  // body bytes received
	recvWindow int32  // window left for the client on this stream
	unacked    int32  // bytes read by the handler, not yet returned
	sendWindow int64  // window the client gave for our DATA
	wake       chan struct{}
}

var errStreamReset = errors.New("h2: stream reset by the client")

// startStream opens stream id for the request in f, taking f's memory,
// and starts its handler.
func (c *Conn) startStream(id uint32, endStream bool, f *fields) {
	st := c.newStream(id)
	// The stream takes f's memory and leaves its own (from the request it
	// served before, if any) to the next header block.
	st.f, *f = *f, st.f
	st.recvWindow = streamWindow
	st.f.request(&st.req, endStream)
	c.mu.Lock()
	st.sendWindow = int64(c.peerWindow)
	st.remoteDone = endStream
	c.streams[id] = st
	spawn := c.enqueueLocked(st)
	c.mu.Unlock()
	if spawn {
		go c.workerFn()
	}
}

// startUpgraded opens stream 1 for the request that upgraded an HTTP/1.1
// connection: its body is complete (RFC 7540 §3.2 allows none here).
func (c *Conn) startUpgraded(r *web.Request) {
	st := c.newStream(1)
	st.recvWindow = streamWindow
	c.mu.Lock()
	c.maxID = 1
	st.sendWindow = int64(c.peerWindow)
	st.remoteDone = true
	st.req.RequestHead = r.RequestHead
	st.req.Proto, st.req.Major, st.req.Minor = proto20, 2, 0
	st.req.ContentLength, st.req.Chunked, st.req.Close, st.req.Expect100 = 0, false, false, false
	st.f.have = haveMethod | haveScheme | havePath
	c.streams[1] = st
	spawn := c.enqueueLocked(st)
	c.mu.Unlock()
	if spawn {
		go c.workerFn()
	}
}

// newStream makes stream id with its context, which the read loop may
// cancel as soon as the stream is in c.streams. It reuses a stream that
// served an earlier request of the connection when there is one (see
// recycle), with its buffers.
func (c *Conn) newStream(id uint32) *stream {
	c.mu.Lock()
	var st *stream
	if n := len(c.free); n > 0 {
		st, c.free[n-1] = c.free[n-1], nil
		c.free = c.free[:n-1]
	}
	c.mu.Unlock()
	if st == nil {
		st = &stream{c: c, wake: make(chan struct{}, 1)}
	}
	st.id, st.start = id, time.Now()
	st.ctx.init(c.cfg.Context)
	return st
}

// recycle keeps a finished stream for the connection's next request,
// under c.mu. Only the read loop takes streams back (newStream), and it
// holds no stream across frames, so a stream it still looks at is never
// handed out again meanwhile; it may still be recycled meanwhile, so the
// frame handlers check, under c.mu, that the stream they looked up is
// still the one open under its id before they touch it. A stream whose context was looked at is
// left to the garbage collector: something may still wait on it. Its
// request's views (the head, the header fields) are valid only until the
// handler returns, as over HTTP/1.1.
func (c *Conn) recycleLocked(st *stream) {
	if !st.ctx.reusable() || len(c.free) >= maxFree || c.closing {
		return
	}
	select {
	case <-st.wake:
	default:
	}
	*st = stream{c: c, f: st.f,
		resp: response{header: st.resp.header, pending: st.resp.pending[:0]}, wake: st.wake}
	if cap(st.resp.pending) > maxKeptPending {
		st.resp.pending = nil
	}
	c.free = append(c.free, st)
}

// maxFree bounds the streams a connection keeps for reuse; maxKeptPending
// the response buffer a kept stream holds on to.
const (
	maxFree        = 32
	maxKeptPending = 4 << 10
)

// run serves the stream: the handler, or the server's own answer for a
// request it refuses before any handler sees it.
func (st *stream) run() {
	c := st.c
	defer c.streamDone(st)
	defer st.ctx.cancel(context.Canceled)
	r := &st.req
	r.RemoteAddr, r.LocalAddr, r.TLS = c.opts.RemoteAddr, c.opts.LocalAddr, c.opts.TLS
	r.SetContext(&st.ctx)
	st.body.st = st
	r.Body = &st.body
	st.resp.init(st)
	switch {
	case st.f.tooBig:
		st.canned(431, "request header fields too large")
		return
	case st.f.connect:
		st.resp.header.Set("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH")
		st.canned(405, "CONNECT is not supported")
		return
	case c.cfg.MaxBodyBytes > 0 && r.ContentLength > c.cfg.MaxBodyBytes:
		st.canned(413, "request body too large")
		return
	}
	err, panicked := st.call()
	if panicked {
		return
	}
	if st.body.err != nil && !st.resp.headerSent {
		status := 400
		if errors.Is(st.body.err, errBodyTooLarge) {
			status = 413
		} else if errors.Is(st.body.err, errBodyTimeout) {
			status = 408
		}
		if st.isReset() {
			st.abort(http2.ErrCodeCancel)
			return
		}
		st.canned(status, st.body.err.Error())
		return
	}
	if err != nil {
		st.handlerError(err)
		return
	}
	if !st.resp.headerSent && !st.drain() {
		// The rest of the body was malformed (or the client reset the
		// stream): the stream is reset, there is no one to answer.
		st.complete(true)
		return
	}
	st.resp.finish()
	st.complete(false)
}

// Draining, as the HTTP/1.1 exchange does before a response head: when
// the handler returns without reading the whole body, what the client
// sends right behind its head is read and checked (a content-length it
// does not match is malformed, RFC 9113 §8.1.1) before the response goes
// out, so that a broken request is reset rather than answered. The wait
// is short and the amount small: past them, the response goes out and
// the stream is reset with NO_ERROR when it ends (streamDone).
const (
	drainMax  = 64 << 10
	drainWait = time.Second
)

// drain discards what is left of the body, within drainMax and
// drainWait; it reports false when the stream was reset meanwhile. The
// bytes are dropped where they are, with their window given back.
func (st *stream) drain() bool {
	c := st.c
	if st.req.Expect100 && !st.body.continueSent {
		return true // the client waits for 100 Continue before sending
	}
	var deadline time.Time
	for total := 0; ; {
		c.mu.Lock()
		if st.reset != nil {
			c.mu.Unlock()
			return false
		}
		n := len(st.buf)
		st.buf = st.buf[:0:0]
		var upd windowUpdate
		if n > 0 {
			upd = st.consumedLocked(int32(n))
		}
		done := st.remoteDone
		c.mu.Unlock()
		c.sendWindowUpdates(st.id, upd)
		total += n
		if done || total >= drainMax {
			return true
		}
		if n > 0 {
			continue
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(drainWait)
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-st.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// call runs the handler, turning a panic into a 500 (when nothing was
// sent yet) or a reset stream, and a log line with the stack.
func (st *stream) call() (err error, panicked bool) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		panicked = true
		if v != web.ErrAbortHandler {
			st.c.log.Error("handler panic",
				"method", string(st.req.Method), "target", string(st.req.Target),
				"remote", st.c.opts.RemoteAddr.String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		if v == web.ErrAbortHandler || st.resp.headerSent {
			st.abort(http2.ErrCodeInternal)
			return
		}
		st.canned(500, "internal server error")
	}()
	return st.c.cfg.Handler.ServeHTTP(&st.resp, &st.req), false
}

// handlerError answers an error the handler returned, as the HTTP/1.1
// exchange does: through the response when nothing was sent, else by
// resetting the stream so the client cannot take the response for whole.
func (st *stream) handlerError(err error) {
	status := web.StatusOf(err)
	gone := errors.Is(err, web.ErrClientGone)
	abort := gone || errors.Is(err, web.ErrAbortHandler)
	if status >= 500 && !abort {
		st.c.log.Error("handler error", "method", string(st.req.Method),
			"target", string(st.req.Target), "status", status, "err", err)
	}
	if gone {
		// A stream the client reset is not reset back (RFC 9113
		// §5.4.2); one the handler found gone otherwise is cancelled.
		if !st.isReset() {
			st.c.resetStream(st.id, http2.ErrCodeCancel)
		}
		st.report(true, true)
		return
	}
	if abort || st.resp.headerSent {
		st.abort(http2.ErrCodeInternal)
		return
	}
	r := &st.resp
	r.discard()
	for _, name := range [...]string{"Content-Length", "Content-Encoding", "ETag", "Last-Modified"} {
		r.header.Del(name)
	}
	r.header.Set("Content-Type", "text/plain; charset=utf-8")
	r.header.Set("X-Content-Type-Options", "nosniff")
	r.status, r.wroteHeader, r.declared = status, true, -1
	text := statusText(status)
	r.WriteString(text)
	r.WriteString("\n")
	r.finish()
	st.complete(false)
}

// canned sends the server's own short answer.
func (st *stream) canned(status int, reason string) {
	r := &st.resp
	r.discard()
	r.header.Set("Content-Type", "text/plain; charset=utf-8")
	r.header.Set("X-Content-Type-Options", "nosniff")
	r.status, r.wroteHeader, r.declared = status, true, -1
	r.WriteString(reason)
	r.WriteString("\n")
	r.finish()
	st.complete(false)
}

// abort resets the stream: the response is cut short.
func (st *stream) abort(code http2.ErrCode) {
	st.c.resetStream(st.id, code)
	st.complete(true)
}

// complete tells the Observer how the request ended and traces it.
func (st *stream) complete(cut bool) { st.report(cut, false) }

// report is complete; gone says the handler found the client gone before
// it answered (web.ErrClientGone), which logs as 499.
func (st *stream) report(cut, gone bool) {
	c := st.c
	r := &st.resp
	if c.cfg.Trace != nil && !cut {
		c.trace(st)
	}
	if c.cfg.Observer == nil {
		return
	}
	comp := web.Completion{Start: st.start, Duration: time.Since(st.start), Cut: cut || st.isReset()}
	if r.headerSent {
		comp.Status, comp.Bytes = r.status, r.bodyBytes()
	} else {
		comp.ClientGone = gone
	}
	c.cfg.Observer.Complete(&st.req, comp)
}

// clientGone reports whether the client reset the stream or closed the
// connection.
func (st *stream) clientGone() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.reset == errStreamReset || st.reset == errConnClosed && st.c.peerClosed.Load()
}

func (st *stream) isReset() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.reset != nil
}

// wakeLocked wakes the stream's goroutine if it waits (body, window).
func (st *stream) wakeLocked() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// cancelLocked ends the stream from outside: a reset by the client, or the
// connection closing. Its handler's context is cancelled and its waits end.
func (st *stream) cancelLocked(err error) {
	if st.reset == nil {
		st.reset = err
	}
	c := st.c
	if c.streams[st.id] == st {
		delete(c.streams, st.id)
	}
	delete(c.connWaiters, st)
	st.wakeLocked()
	st.ctx.cancel(context.Canceled)
}

// resetStream sends RST_STREAM and forgets the stream; its handler, if
// still running, sees its context cancelled.
func (c *Conn) resetStream(id uint32, code http2.ErrCode) {
	c.mu.Lock()
	st := c.streams[id]
	if st != nil {
		st.cancelLocked(errors.New("h2: stream reset: " + code.String()))
	}
	c.mu.Unlock()
	c.writeFrames(func() error { return c.fr.WriteRSTStream(id, code) })
}

// bodyReader is a stream's request body.
type bodyReader struct {
	st  *stream
	err error // why the body broke, for the answer when nothing was sent
	// continueSent is set once 100 Continue went out (or need not).
	continueSent bool
}

var (
	errBodyTooLarge = errors.New("request body too large")
	errBodyTimeout  = errors.New("request body timeout")
)

// Read reads body bytes, waiting for them up to the read timeout, and
// gives the client back window for what it read.
func (b *bodyReader) Read(p []byte) (int, error) {
	st := b.st
	c := st.c
	if b.err != nil {
		return 0, b.err
	}
	if st.req.Expect100 && !b.continueSent {
		b.continueSent = true
		if !st.resp.headerSent {
			st.resp.writeInterim(100)
		}
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if len(st.buf) > 0 {
			n := copy(p, st.buf)
			st.buf = st.buf[n:]
			if len(st.buf) == 0 {
				st.buf = st.buf[:0:0]
			}
			upd := st.consumedLocked(int32(n))
			c.mu.Unlock()
			c.sendWindowUpdates(st.id, upd)
			return n, nil
		}
		switch {
		case st.reset != nil:
			c.mu.Unlock()
			b.err = st.reset
			return 0, b.err
		case st.remoteDone:
			c.mu.Unlock()
			return 0, io.EOF
		}
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(orDefault(c.cfg.Read, 60*time.Second))
		}
		select {
		case <-st.wake:
		case <-timer.C:
			b.err = errBodyTimeout
			return 0, b.err
		}
	}
}

// receive takes a DATA frame's payload (or, with data nil, the end of the
// stream from trailers), on the read loop. size is the frame's length,
// padding included.
// It reports closed when st finished since the read loop looked it up: a
// worker may have recycled it meanwhile, and the bytes must not reach the
// request it serves next.
func (c *Conn) receive(st *stream, id uint32, data []byte, size int32, end bool) (closed bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.streams[id] != st {
		return true, nil
	}
	if size > st.recvWindow {
		return false, connErr{http2.ErrCodeFlowControl, "DATA beyond the stream window"}
	}
	st.recvWindow -= size
	st.received += int64(len(data))
	if cl := st.f.contentLength; cl >= 0 && (st.received > cl || end && st.received != cl) {
		return false, http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
	}
	if max := c.cfg.MaxBodyBytes; max > 0 && st.received > max {
		st.reset = errBodyTooLarge
		st.wakeLocked()
		return false, http2.StreamError{StreamID: st.id, Code: http2.ErrCodeCancel}
	}
	st.buf = append(st.buf, data...)
	// Padding is never read: its stream window goes back with the next
	// update, its connection window at once (onData).
	st.unacked += size - int32(len(data))
	if end {
		st.remoteDone = true
	}
	st.wakeLocked()
	return false, nil
}
