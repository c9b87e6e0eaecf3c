package server

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/brick-server/brick/internal/bufpool"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// exchange is the scratch state for serving requests: the request view,
// the response writer and the body reader. It belongs to the goroutine that
// serves a connection (a worker of the readiness loops, or a connection's
// own goroutine), never to a global pool, and is reused request after
// request, which is what keeps the request path free of allocations.
type exchange struct {
	c *conn
	// set is the settings of the request being served (see settings).
	set  *settings
	req  web.Request
	resp response
	body body

	parser wire.RequestParser // fills req's head
	obs    observation        // for the Observer (complete.go)

	pending []byte // response body held back to compute Content-Length
	// head is the request head in the read buffer; it stays valid while
	// the request is served even if the body moves to a new buffer.
	head     []byte
	headEnd  int // where the head ends in the read buffer it was parsed in
	hijacked bool
	// keepBuffers is set for the readiness loops' workers: between
	// connections a worker keeps one empty read buffer and one output
	// buffer, which spares the pool two round trips per request. A
	// connection's own goroutine (the portable model) returns them, so
	// that an idle connection holds no buffer in either model.
	keepBuffers       bool
	spareIn, spareOut []byte
	// out gathers the responses not yet written; it is empty whenever the
	// connection parks, so it belongs here rather than to the connection.
	out []byte
	// writeErr is the first failed write to the client during the current
	// request: the connection is broken, later writes fail at once, and
	// the handler's resulting error is not logged.
	writeErr error
}

// serve runs the connection until it parks, closes or is hijacked.
func (x *exchange) serve(c *conn) {
	x.c = c
	x.set = c.srv.live()
	x.writeErr = nil
	defer func() {
		// Whatever was not written belongs to a connection now closed.
		x.out = x.out[:0]
		x.releaseOut()
		x.c = nil
	}()
	s := c.srv
	if c.lingerUntil != 0 {
		x.linger()
		return
	}
	// A connection arrives here because it became readable: read before
	// considering parking it again.
	mustRead := true
	for {
		if !x.serveBuffered() {
			return
		}
		if len(x.out) > 0 {
			if err := x.flush(); err != nil {
				c.closeNow()
				return
			}
		}
		// Shutting down, close a connection waiting between requests,
		// once what made it readable has been read; not one that has yet
		// to send its first request, which its client would lose: clients
		// retry a request on a kept-alive connection that closes, not on a
		// new one (Shutdown closes it if it stays silent).
		if s.shutting.Load() && c.r == c.w && !mustRead && c.requests > 0 {
			c.closeNow()
			return
		}
		c.compact()
		now := s.clock.Now()
		pending := c.t.pendingInput()
		if c.r == c.w {
			c.headSince = now
			if pending != 0 {
				c.headSince = pending
			}
		}
		partial := c.r < c.w || pending != 0
		// The wait for the next request follows an Update, as the
		// request will.
		x.set = s.live()
		deadline := c.waitDeadline(now, partial, &x.set.to)
		if !c.lastFull && !mustRead {
			x.releaseBuffers()
			if c.t.park(deadline, partial) {
				return
			}
		}
		x.ensureReadBuf()
		// Waiting for the first byte of a request: Shutdown may close
		// the connection then, at once between requests, and after
		// newConnGrace before the first one (its client would not retry).
		idle := c.r == c.w
		mark := uint32(idleBetween)
		if idle {
			if c.requests == 0 {
				mark = max(uint32(now/int64(time.Second)), idleBetween+1)
			}
			c.idle.Store(mark)
		}
		n, err := c.t.read(c.buf[c.w:], deadline)
		if idle && !c.idle.CompareAndSwap(mark, 0) {
			// Shutdown closed the connection as idle while this read
			// returned: what it read is dropped with the connection.
			c.closeNow()
			return
		}
		mustRead = false
		if err == errAgain {
			c.lastFull = false
			continue
		}
		if err == errPlainHTTP {
			x.failHead(400, plainHTTPReason)
			return
		}
		if err == errH2 {
			x.serveH2(nil, nil)
			return
		}
		if n <= 0 || err != nil {
			if errors.Is(err, errTimeout) && c.r < c.w {
				c.reportUnparsed(&x.req, 408, "request header timeout")
				x.appendCanned(408, "request header timeout")
				x.flush()
			}
			c.closeNow()
			return
		}
		if c.r == c.w {
			c.headSince = s.clock.Now()
		}
		c.w += n
		c.lastFull = c.w == len(c.buf)
	}
}

// releaseBuffers takes the connection's empty buffers before it parks,
// keeping them for the next connection when the exchange may.
func (x *exchange) releaseBuffers() {
	c := x.c
	if x.keepBuffers {
		if c.r == c.w && len(c.buf) == readBufSize && x.spareIn == nil {
			x.spareIn, c.buf, c.r, c.w = c.buf, nil, 0, 0
		}
	}
	x.releaseOut()
	c.releaseBuffers()
}

// releaseOut takes the empty output buffer, keeping it for the next
// connection when the exchange may.
func (x *exchange) releaseOut() {
	if x.out == nil || len(x.out) > 0 {
		return
	}
	if x.keepBuffers && cap(x.out) == readBufSize && x.spareOut == nil {
		x.spareOut = x.out
	} else {
		bufpool.Put(x.out)
	}
	x.out = nil
}

// appendCanned appends a short plain-text response that ends the
// connection: for protocol errors and internal failures.
func (x *exchange) appendCanned(status int, reason string) {
	x.out = appendCannedResponse(x.out, status, reason, x.c.srv.clock.Date(), true)
}

// dropSpares returns the spare buffers to the pool.
func (x *exchange) dropSpares() {
	if x.spareIn != nil {
		bufpool.Put(x.spareIn)
		x.spareIn = nil
	}
	if x.spareOut != nil {
		bufpool.Put(x.spareOut)
		x.spareOut = nil
	}
}

// ensureReadBuf gives the connection a read buffer, the spare one first.
func (x *exchange) ensureReadBuf() {
	c := x.c
	if c.buf == nil && x.spareIn != nil {
		c.buf, x.spareIn = x.spareIn, nil
	}
	c.ensureReadBuf()
}

// serveBuffered serves every complete request in the read buffer, leaving
// their responses in x.out so a pipelined batch goes out in one write. It
// returns false when the connection was closed or hijacked.
func (x *exchange) serveBuffered() bool {
	c := x.c
	s := c.srv
	for c.r < c.w {
		x.set = s.live()
		if full, partial := x.prefaceState(); full {
			x.serveH2(nil, nil)
			return false
		} else if partial {
			return true
		}
		x.parser.ResumeAt(int(c.scan))
		n, err := x.parser.Parse(&x.req.RequestHead, c.buf[c.r:c.w], &x.set.lim.Limits)
		if err == wire.ErrNeedMore {
			c.scan = int32(x.parser.ScanPos())
			return true
		}
		if err != nil {
			x.endRequest()
			if err == wire.ErrBadVersion && x.unknownProtocol() {
				x.lingerClose()
				return false
			}
			var we *wire.Error
			if !errors.As(err, &we) {
				we = &wire.Error{Status: 400, Reason: "bad request"}
			}
			x.failHead(we.Status, we.Reason)
			return false
		}
		c.scan = 0
		x.head, x.headEnd = c.buf[c.r:c.r+n], c.r+n
		c.r += n
		x.beginRequest()
		ok := x.handle()
		x.endRequest()
		x.head = nil
		if !ok {
			return false
		}
	}
	return true
}

// fail sends a canned error response and closes the connection: the
// framing can no longer be trusted.
func (x *exchange) fail(status int, reason string) {
	x.reportCanned(status, reason)
	x.appendCanned(status, reason)
	x.lingerClose()
}

// failHead is fail for a head the server could not use: no handler saw
// it, so it is reported here.
func (x *exchange) failHead(status int, reason string) {
	x.c.reportUnparsed(&x.req, status, reason)
	x.fail(status, reason)
}

// Lingering close. Closing a socket with unread input makes the kernel
// send a reset, and a reset can reach the client before it has read the
// response (or while it is still writing the request, which then fails
// with "connection reset by peer"): a client sending a body over the limit
// would never see its 413. So when the client may still be sending, the
// server sends its response and FIN, then reads and discards for a while
// before closing, as nginx's lingering_close and net/http's
// closeWriteAndWait do.
const (
	lingerTime = time.Second
	lingerMax  = 16 << 20 // discarded bytes; a client still sending more is cut off
)

// lingerClose writes what is gathered, half-closes the connection and
// lingers on it; it returns with the connection closed or parked.
func (x *exchange) lingerClose() {
	c := x.c
	if x.flush() != nil || c.t.closeWrite() != nil {
		c.closeNow()
		return
	}
	// Real time, not the server's coarse clock: the linger is short.
	c.lingerUntil = time.Now().Add(lingerTime).UnixNano()
	c.r, c.w = 0, 0
	x.linger()
}

// linger discards input until the client closes, lingerTime passes or
// lingerMax bytes came; in the readiness model it parks between reads, and
// the sweep closes it at its deadline.
func (x *exchange) linger() {
	c := x.c
	for {
		c.ensureReadBuf()
		c.idle.Store(idleBetween) // Shutdown may close a lingering connection
		n, err := c.t.read(c.buf, c.lingerUntil)
		if !c.idle.CompareAndSwap(idleBetween, 0) {
			c.closeNow()
			return
		}
		if err == errAgain {
			c.releaseBuffers()
			if c.t.park(c.lingerUntil, false) {
				return
			}
			continue
		}
		c.lingered += int32(n)
		if n <= 0 || err != nil || c.lingered > lingerMax || time.Now().UnixNano() > c.lingerUntil {
			c.closeNow()
			return
		}
	}
}

// end closes the connection after its last response: with a lingering
// close when the client may still be sending (an unread body, pipelined
// requests), else at once.
func (x *exchange) end() {
	c := x.c
	if x.body.eof && c.r == c.w {
		x.flush()
		c.closeNow()
		return
	}
	x.lingerClose()
}

// flush writes the gathered output.
func (x *exchange) flush() error {
	c := x.c
	if len(x.out) == 0 {
		return nil
	}
	if x.writeErr != nil {
		x.out = x.out[:0]
		return x.writeErr
	}
	err := c.t.write(x.out, x.set.to.Write)
	x.out = x.out[:0]
	x.resp.flushed()
	if err != nil {
		x.writeErr = err
	}
	return err
}

// flushWith writes the gathered output followed by p, which stays the
// caller's. A readiness-loop connection takes both in one writev; for
// others p goes through the output buffer a flushAt at a time, because
// handing p to an interface method (net.Conn) would make every Write's
// argument escape, and WriteString's conversion then allocate.
func (x *exchange) flushWith(p []byte) error {
	c := x.c
	if x.writeErr != nil {
		x.out = x.out[:0]
		return x.writeErr
	}
	if ok, err := writevDirect(c.t, x.out, p, x.set.to.Write); ok {
		x.out = x.out[:0]
		x.resp.flushed()
		if err != nil {
			x.writeErr = err
		}
		return err
	}
	for {
		k := max(0, min(len(p), flushAt-len(x.out)))
		x.out = append(x.out, p[:k]...)
		p = p[k:]
		if err := x.flush(); err != nil || len(p) == 0 {
			return err
		}
	}
}

// handle serves one parsed request; it returns false when the connection
// is no longer the server's to use (closed or hijacked).
func (x *exchange) handle() bool {
	c := x.c
	s := c.srv
	req := &x.req
	c.requests++
	req.RemoteAddr, req.LocalAddr = c.remote.AddrPort(), c.local.AddrPort()
	req.TLS = nil
	if t, ok := c.t.(*tlsConn); ok {
		req.TLS = t.connState()
	}
	req.SetContext(s.ctx)
	if req.ContentLength > x.set.lim.MaxBodyBytes {
		x.fail(413, "request body too large")
		return false
	}
	x.body.init(x)
	closeAfter := req.Close || s.shutting.Load() ||
		x.set.lim.MaxRequestsPerConn > 0 && int(c.requests) >= x.set.lim.MaxRequestsPerConn
	if x.out == nil {
		if x.out, x.spareOut = x.spareOut, nil; x.out == nil {
			x.out = bufpool.Get(readBufSize)
		}
	}
	x.resp.init(x, closeAfter)
	if x.upgradeH2C() {
		return false
	}

	err, panicked := x.call()
	if x.hijacked {
		x.hijacked = false
		x.report(web.Completion{Hijacked: true})
		return false
	}
	if panicked {
		return false
	}
	if x.writeErr != nil {
		// The client is gone or stopped reading (write timeout): there is
		// no one to answer, and nothing worth logging.
		x.cut()
		return false
	}
	if x.body.err != nil {
		// The body broke (bad framing, over the limit, too slow, cut
		// short) while the handler read it: answer with that error if
		// nothing was sent. The handler's own error most likely comes from
		// the body, so it is neither rendered nor logged.
		if !x.resp.started() {
			status, reason := bodyErrorStatus(x.body.err)
			x.resp.discard()
			x.fail(status, reason)
			return false
		}
		x.resp.closeAfter = true
		if err != nil {
			x.resp.discard()
			x.flush()
			x.cut()
			return false
		}
	}
	if err != nil && !x.handlerError(err) {
		return false
	}
	// When the head is not written yet, deal with the unread body first,
	// as net/http does: the response can then say "Connection: close" when
	// the body cannot be drained, and a client that sends its whole request
	// before reading cannot deadlock against the response.
	drained := false
	if !x.resp.committed && !x.resp.closeAfter {
		drained = true
		if !x.body.finish() {
			x.resp.closeAfter = true
		}
	}
	x.resp.finish()
	if s.trace != nil {
		s.trace.exchange(x.head, &x.resp)
	}
	x.reportResponse()
	// A response committed before Shutdown began could not say
	// "Connection: close"; the connection closes after it all the same,
	// and requests pipelined behind it are not served.
	if x.resp.closeAfter || s.shutting.Load() || !drained && !x.body.finish() {
		x.end()
		return false
	}
	if len(x.out) >= flushAt {
		if x.flush() != nil {
			c.closeNow()
			return false
		}
	}
	return true
}

// call runs the handler, turning a panic into a 500 (when nothing was sent
// yet), a log line with the stack, and a closed connection.
func (x *exchange) call() (err error, panicked bool) {
	defer func() {
		v := recover()
		x.body.active = false
		if v == nil {
			return
		}
		panicked = true
		if x.hijacked {
			return
		}
		if v == web.ErrAbortHandler {
			// An abort ends the connection without a response, as
			// returning ErrAbortHandler does; responses to earlier
			// pipelined requests still go out.
			x.resp.discard()
			x.flush()
			x.cut()
			return
		}
		x.c.srv.log.Error("handler panic",
			"method", string(x.req.Method), "target", string(x.req.Target),
			"remote", x.c.remote.AddrPort().String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if !x.resp.started() {
			x.resp.discard()
			x.fail(500, "internal server error")
			return
		}
		x.flush()
		x.cut()
	}()
	return x.c.srv.Handler.ServeHTTP(&x.resp, &x.req), false
}

// handlerError renders an error returned by the handler. It returns false
// when the connection was closed.
func (x *exchange) handlerError(err error) bool {
	c := x.c
	status := web.StatusOf(err)
	gone := errors.Is(err, web.ErrClientGone)
	abort := gone || errors.Is(err, web.ErrAbortHandler)
	if status >= 500 && !abort {
		c.srv.log.Error("handler error", "method", string(x.req.Method),
			"target", string(x.req.Target), "status", status, "err", err)
	}
	if abort || x.resp.started() {
		// The response is under way: cut it short so the client cannot
		// take it for complete.
		x.resp.discard()
		x.flush()
		x.cutGone(gone)
		return false
	}
	// Answer through the response writer, so the handler's fields (an
	// Allow for 405, a Retry-After for 503) stay and tracing sees it.
	r := &x.resp
	r.discard()
	h := &r.header
	for _, name := range [...]string{"Content-Length", "Content-Encoding", "ETag", "Last-Modified"} {
		h.Del(name)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	r.status, r.wroteHeader, r.declared, r.written = status, true, -1, 0
	text := wire.StatusText(status)
	if text == "" {
		text = "error"
	}
	r.WriteString(text)
	r.WriteString("\n")
	return true
}
