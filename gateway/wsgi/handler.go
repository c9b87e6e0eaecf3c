package wsgi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/gateway/internal/coalesce"
	"github.com/brick-server/brick/web"
)

// Handler is the web.Handler that runs requests through a Pool.
type Handler struct {
	// Files serves the files an application names with X-Sendfile, under
	// Config.SendfileRoot, at their paths below it (a static file server
	// rooted there); nil refuses X-Sendfile. Set before serving.
	Files web.Handler
	// Dispatch serves an application's X-Accel-Redirect: the request
	// again, at the path named, through the server's router with its
	// internal routes open (router.Router.ServeInternal); nil refuses it.
	// Set before serving.
	Dispatch web.Handler

	sendRoots []string // SendfileRoot's spellings (sendfileRoots)

	pool  *Pool
	cfg   *Config
	log   *slog.Logger
	env   cgienv.Options
	calls sync.Pool

	busy    rateLog // requests turned away with every worker busy
	dropped rateLog // requests waiting for a worker when the pool stopped
}

var _ web.Handler = (*Handler)(nil)

// NewHandler returns a handler that serves requests with p's workers.
func NewHandler(p *Pool) (*Handler, error) {
	h := &Handler{pool: p, cfg: &p.cfg, log: p.log,
		env: cgienv.Options{ScriptName: p.cfg.Mount}, sendRoots: sendfileRoots(p.cfg.SendfileRoot)}
	if err := h.env.Validate(); err != nil {
		return nil, err
	}
	h.calls.New = func() any { return &call{grant: make(chan *worker, 1), turn: make(chan bool, 1)} }
	return h, nil
}

// call holds one request's scratch space; calls are reused.
type call struct {
	env   cgienv.Builder
	enc   RequestEncoder
	frame []byte
	body  []byte // the request body when it fits in memory
	out   []byte // a buffered response's body
	head  Head

	// The request's place on a worker (Pool.acquire). grant: the worker
	// handed to it after it waited (nil: the pool closed). turn: queued
	// behind another request, it may read its response (true), or the
	// worker failed before starting it (false). All under pool.mu but
	// the channels.
	grant  chan *worker
	turn   chan bool
	pipe   bool            // it may be queued behind another request
	queued bool            // it was
	seq    uint32          // its number on the worker, for a cancel frame
	sent   coalesce.Ticket // its frame in the worker's batches (worker.send)
	// Timers for the waits (made once per call, reset per wait): the
	// client check and the queue's timeout.
	check, qtimer *time.Timer
}

// timer returns *t, made or reset to fire after d.
func (c *call) timer(t **time.Timer, d time.Duration) *time.Timer {
	if *t == nil {
		*t = time.NewTimer(d)
	} else {
		(*t).Reset(d)
	}
	return *t
}

// ServeHTTP reads the request body, builds the environ, waits for a
// worker and relays its response.
func (h *Handler) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	c := h.calls.Get().(*call)
	defer h.calls.Put(c)

	// The whole body is read before a worker is taken: a client that
	// sends slowly must not hold a Python process.
	var bodyFile *os.File
	bodyLen := int64(-1)
	c.body = c.body[:0]
	if r.ContentLength != 0 || r.Chunked {
		var err error
		bodyFile, bodyLen, err = h.readBody(c, r)
		if err != nil {
			return err
		}
		if bodyFile != nil {
			defer bodyFile.Close()
		}
	} else if r.Header.Has("Content-Length") {
		bodyLen = 0
	}

	c.enc.Reset()
	if err := c.env.Build(&c.enc, r, &h.env, bodyLen); err != nil {
		return err
	}
	c.enc.AddString("wsgi.url_scheme", h.env.SchemeOf(r))
	flags := uint32(0)
	if bodyFile != nil {
		flags = FlagBodyFD
	}
	c.frame = c.enc.AppendFrame(c.frame[:0], flags, c.body)

	c.pipe = bodyFile == nil && len(c.frame) <= maxQueuedFrame

	// A worker that died while idle (killed by the operator or the OOM
	// killer) fails the send before the application saw the request, as
	// does one that failed while the request was queued behind another:
	// the request can safely go to another worker.
	for attempt := 0; ; attempt++ {
		wk, err := h.pool.acquire(r.Context(), w, c)
		if err != nil {
			return h.noWorker(w, r, err)
		}
		lead, err := wk.send(c, bodyFile)
		if err != nil {
			h.pool.discard(wk)
		}
		h.pool.sent(wk)
		if err == nil && (lead || !c.queued) {
			if err = wk.conn.out.Sent(c.sent); err != nil {
				h.pool.discard(wk)
			}
		}
		if err != nil {
			if c.queued {
				<-c.turn // discard said false
			}
			if attempt < 2 && !isTimeout(err) {
				h.log.Warn("wsgi: worker gone before the request reached it; trying another", "pid", wk.proc.Pid(), "err", err)
				continue
			}
			return h.broken(w, r, wk, err)
		}
		gone := false
		if c.queued {
			var ok bool
			ok, gone = h.awaitTurn(w, wk, c)
			if ok && wk.conn.out.Sent(c.sent) != nil {
				// Its frame went out in a batch whose write failed (led
				// by a cancel, whose failure no request saw): the worker
				// never had it.
				h.pool.discard(wk)
				ok = false
			}
			if !ok {
				if attempt < 2 {
					h.log.Warn("wsgi: worker failed before the request queued on it started; trying another", "pid", wk.proc.Pid())
					continue
				}
				return plain(w, 502, "Bad Gateway: the application's worker failed\n")
			}
		}
		wk.conn.busy = h.pool.saturated(wk)
		taken := time.Now()
		if err := wk.conn.SetReadDeadline(taken.Add(h.cfg.Timeout)); err != nil {
			return h.broken(w, r, wk, err)
		}
		if gone {
			return h.skipped(w, r, wk)
		}
		return h.relay(w, r, wk, c, taken)
	}
}

// noWorker answers a request that got no worker, and logs why: every
// worker busy, or the pool or the server stopping while it waited.
func (h *Handler) noWorker(w web.ResponseWriter, r *web.Request, err error) error {
	// Over HTTP/1.1 the request's context is the server's, and ends only
	// when it stops (the connection it closes then is not the client's
	// leaving). Over HTTP/2 it is the stream's, which ends as well when
	// the client resets the stream or closes the connection: the writer
	// tells which.
	var ended errWaitEnded
	if errors.Is(err, errClientLeft) || (errors.Is(err, ErrQueueTimeout) || errors.As(err, &ended) && r.Major >= 2) && web.ClientGone(w) {
		// Nobody to answer: the access log says 499, as nginx's does.
		h.log.Debug("wsgi: the client left while its request waited for a worker", "request", requestLine(r))
		return web.ErrClientGone
	}
	w.Header().Set("Retry-After", "1")
	// The request's context is the server's, cancelled when it stops
	// waiting for the requests in flight (web.Request.Context).
	if errors.Is(err, errPoolClosed) || errors.Is(err, context.Canceled) {
		// The client may be gone already (the server closed its
		// connection when the shutdown timeout passed); the answer is
		// for one that is still there.
		if n, ok := h.dropped.note(); ok {
			h.log.Warn("wsgi: shutting down: request waiting for a worker dropped; answering 503", "request", requestLine(r),
				"why", err, "dropped_since_last_line", n)
		}
		return plain(w, 503, "Service Unavailable: the server is shutting down, try again shortly\n")
	}
	if n, ok := h.busy.note(); ok {
		h.log.Warn("wsgi: no worker free; answering 503", "method", string(r.Method), "target", string(r.Target),
			"err", err, "turned_away_since_last_line", n)
	}
	return plain(w, 503, "Service Unavailable: every worker is busy, try again shortly\n")
}

// rateLog lets a kind of event that can come by the thousand (requests
// turned away under overload) be logged at most once a second with the
// count since: a line per request would cost most exactly when the server
// can least afford it.
type rateLog struct {
	n      atomic.Int64 // events not yet logged
	logged atomic.Int64 // when the last line was written, unix ns
}

// note counts an event and reports whether to log it now, with the number
// of events the line stands for.
func (l *rateLog) note() (int64, bool) {
	n := l.n.Add(1)
	now := time.Now().UnixNano()
	last := l.logged.Load()
	if now-last < int64(time.Second) || !l.logged.CompareAndSwap(last, now) {
		return 0, false
	}
	l.n.Add(-n)
	return n, true
}

// readBody reads the request body into c.body, or into an unlinked
// temporary file once it outgrows BodyMemory.
func (h *Handler) readBody(c *call, r *web.Request) (*os.File, int64, error) {
	limit := h.cfg.BodyMemory
	for {
		if len(c.body) == cap(c.body) {
			c.body = append(c.body, 0)[:len(c.body)]
		}
		n, err := r.Body.Read(c.body[len(c.body):min(cap(c.body), int(limit)+1)])
		c.body = c.body[:len(c.body)+n]
		if err == io.EOF {
			return nil, int64(len(c.body)), nil
		}
		if err != nil {
			return nil, 0, err
		}
		if int64(len(c.body)) > limit {
			break
		}
	}
	f, err := tempFile(h.cfg.TempDir)
	if err != nil {
		h.log.Error("wsgi: cannot spool a request body", "err", err)
		return nil, 0, web.Error(500, err)
	}
	if _, err := f.Write(c.body); err != nil {
		f.Close()
		return nil, 0, web.Error(500, err)
	}
	prefix := int64(len(c.body))
	c.body = c.body[:0]
	n, err := io.Copy(f, r.Body)
	if err != nil {
		f.Close()
		var we *os.PathError
		if errors.As(err, &we) {
			h.log.Error("wsgi: cannot spool a request body", "err", err)
			return nil, 0, web.Error(500, err)
		}
		return nil, 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, web.Error(500, err)
	}
	return f, prefix + n, nil
}

// relay waits for the worker's answer and writes it to the client. A
// response that is already whole in the worker's buffer (most are) frees
// the worker before a byte goes to the client; a longer one is absorbed
// by a pump goroutine into a spool while the client takes it at its pace.
func (h *Handler) relay(w web.ResponseWriter, r *web.Request, wk *worker, c *call, taken time.Time) error {
	typ, payload, err := wk.frames.readFrame()
	if err != nil {
		return h.broken(w, r, wk, err)
	}
	switch typ {
	case FrameAbort:
		h.appFailed(r, wk, payload)
		h.pool.finished(wk)
		return plain(w, 500, "Internal Server Error\n")
	case FrameHead:
	default:
		return h.broken(w, r, wk, errProtocol(typ))
	}
	if err := ParseHead(payload, &c.head); err != nil {
		h.log.Error("wsgi: the application sent an invalid status or header", "method", string(r.Method), "target", string(r.Target), "pid", wk.proc.Pid(), "err", err)
		return h.broken(w, r, wk, err)
	}
	if name, value := offloadHeader(&c.head); name != "" {
		return h.offload(w, r, wk, c, name, value)
	}

	if wk.frames.buffered() {
		c.out = c.out[:0]
		for {
			typ, payload, err := wk.frames.readFrame()
			if err != nil {
				return h.broken(w, r, wk, err)
			}
			switch typ {
			case FrameData:
				c.out = append(c.out, payload...)
				continue
			case FrameEnd:
				h.pool.finished(wk)
				writeHead(w, &c.head)
				_, err := w.Write(c.out)
				h.checkLength(r, err)
				return nil
			case FrameAbort:
				h.appFailed(r, wk, payload)
				h.pool.finished(wk)
				return plain(w, 500, "Internal Server Error\n")
			default:
				return h.broken(w, r, wk, errProtocol(typ))
			}
		}
	}
	return h.stream(w, r, wk, c, taken)
}

// stream relays a response that did not arrive in one piece. From its
// head on, Timeout bounds each silence of the worker, not the whole
// response: MaxStream does that, when set.
func (h *Handler) stream(w web.ResponseWriter, r *web.Request, wk *worker, c *call, taken time.Time) error {
	if err := wk.conn.SetIdleTimeout(h.cfg.Timeout); err != nil {
		return h.broken(w, r, wk, err)
	}
	h.pool.streams(wk)
	s := newSpool(h.cfg.ResponseMemory, h.cfg.MaxTempFile, h.cfg.TempDir, c.seq)
	req := requestLine(r)
	go h.pump(wk, s, req)
	defer s.release()
	// However stream ends, the pump must never wait on a reader that left.
	defer s.discard()
	if h.cfg.MaxStream > 0 {
		t := time.AfterFunc(h.cfg.MaxStream-time.Since(taken), func() { s.cutOff(wk) })
		defer t.Stop()
	}

	wrote := false
	head := string(r.Method) == "HEAD"
	for {
		data, state := s.take()
		if len(data) > 0 {
			if !wrote {
				writeHead(w, &c.head)
				wrote = true
				if head {
					// No body goes out: the worker is told to stop
					// making one, as for a client that left, rather
					// than read a wrapped file of gigabytes to the end.
					s.cancel(wk)
					s.discard()
					continue
				}
			}
			if _, err := w.Write(data); err != nil {
				// Past its Content-Length, or a body its status (204,
				// 304) forbids: the rest is dropped, the answer stands.
				if errors.Is(err, web.ErrContentLength) || errors.Is(err, web.ErrBodyNotAllowed) {
					h.checkLength(r, err)
					s.discard()
					continue
				}
				s.cancel(wk)
				return web.ErrAbortHandler
			}
			if s.empty() {
				// Caught up with the worker: send what we have, so a
				// stream with pauses reaches the client as produced.
				if err := web.Flush(w); err != nil {
					s.cancel(wk)
					return web.ErrAbortHandler
				}
			}
			continue
		}
		switch state {
		case spoolEnd:
			if !wrote {
				writeHead(w, &c.head)
			}
			return nil
		case spoolAbort:
			if !wrote {
				w.Header().Reset()
				return plain(w, 500, "Internal Server Error\n")
			}
			return web.ErrAbortHandler
		case spoolTimeout:
			if !wrote {
				w.Header().Reset()
				return plain(w, 504, "Gateway Timeout: the application took too long\n")
			}
			return web.ErrAbortHandler
		case spoolCut:
			h.log.Warn("wsgi: response ran past max_stream; cut off, the application told to stop", "request", req,
				"pid", wk.proc.Pid(), "max_stream", h.cfg.MaxStream.String())
			if !wrote {
				w.Header().Reset()
				return plain(w, 504, "Gateway Timeout: the response took too long\n")
			}
			return web.ErrAbortHandler
		default: // spoolBroken
			if !wrote {
				w.Header().Reset()
				return plain(w, 502, "Bad Gateway: the application's worker failed\n")
			}
			return web.ErrAbortHandler
		}
	}
}

// pump reads the rest of a response from the worker into the spool, and
// gives the worker back as soon as the response is complete.
func (h *Handler) pump(wk *worker, s *spool, req string) {
	for {
		typ, n, err := wk.frames.header()
		if err != nil {
			s.finish(h.pumpFailed(wk, req, err))
			return
		}
		switch typ {
		case FrameData:
			for left := int(n); left > 0; {
				b, err := wk.frames.chunk(left)
				if err != nil {
					s.finish(h.pumpFailed(wk, req, err))
					return
				}
				if err := s.put(b); err != nil {
					h.log.Error("wsgi: cannot spool a response", "err", err)
					h.pool.discard(wk)
					s.finish(spoolBroken)
					return
				}
				left -= len(b)
			}
		case FrameEnd:
			// The spool learns first, so that a cancel from the
			// handler can never reach the worker's next request.
			s.finish(spoolEnd)
			h.pool.finished(wk)
			return
		case FrameAbort:
			payload, err := wk.frames.payload(n)
			if err != nil {
				s.finish(h.pumpFailed(wk, req, err))
				return
			}
			h.log.Error("wsgi: the application raised an exception", "request", req, "pid", wk.proc.Pid(), "traceback", string(payload))
			s.finish(spoolAbort)
			h.pool.finished(wk)
			return
		default:
			s.finish(h.pumpFailed(wk, req, errProtocol(typ)))
			return
		}
	}
}

// pumpFailed handles a worker that broke while streaming.
func (h *Handler) pumpFailed(wk *worker, req string, err error) spoolState {
	if isTimeout(err) {
		h.timedOut(wk, req)
		return spoolTimeout
	}
	h.died(wk, req, err)
	return spoolBroken
}

// broken answers for a worker that failed before the response began: 504
// when it ran out of time, else 502. The worker is replaced.
func (h *Handler) broken(w web.ResponseWriter, r *web.Request, wk *worker, err error) error {
	req := requestLine(r)
	if isTimeout(err) {
		go h.timedOut(wk, req)
		return plain(w, 504, "Gateway Timeout: the application took too long\n")
	}
	h.died(wk, req, err)
	return plain(w, 502, "Bad Gateway: the application's worker failed\n")
}

// timedOut logs where a worker hung, then kills it.
func (h *Handler) timedOut(wk *worker, req string) {
	wk.timedOut.Store(true)
	stack := wk.dumpStack()
	h.log.Error("wsgi: request timed out: the application was silent past the timeout (no head, or a pause in its stream); killing its worker", "request", req, "pid", wk.proc.Pid(),
		"timeout", h.cfg.Timeout.String(), "stack", stack)
	h.pool.discard(wk)
}

// died logs a worker that broke mid-request and kills what is left of it.
func (h *Handler) died(wk *worker, req string, err error) {
	h.pool.discard(wk)
	select {
	case <-wk.proc.Done():
	case <-time.After(time.Second):
	}
	exit := "still running"
	select {
	case <-wk.proc.Done():
		exit = wk.proc.Exit()
	default:
	}
	if h.pool.stopping() {
		// Most likely Close killed it at the end of its grace period
		// (and said so); either way, nothing replaces it now.
		h.log.Warn("wsgi: shutting down: request cut off; its worker ended and is not replaced", "request", req, "pid", wk.proc.Pid(), "exit", exit, "err", err)
		return
	}
	h.log.Error("wsgi: worker failed during a request; replacing it", "request", req, "pid", wk.proc.Pid(), "exit", exit, "err", err)
}

// appFailed logs an exception the application raised.
func (h *Handler) appFailed(r *web.Request, wk *worker, traceback []byte) {
	h.log.Error("wsgi: the application raised an exception", "request", requestLine(r), "pid", wk.proc.Pid(), "traceback", string(traceback))
}

// checkLength logs an application that wrote more than its own
// Content-Length; the extra bytes were not sent.
func (h *Handler) checkLength(r *web.Request, err error) {
	if errors.Is(err, web.ErrContentLength) {
		h.log.Warn("wsgi: the application wrote more than its Content-Length; the rest was dropped", "request", requestLine(r))
	}
}

// writeHead sets the application's status, reason phrase and fields on w.
func writeHead(w web.ResponseWriter, head *Head) {
	dst := w.Header()
	for _, f := range head.Header.Fields() {
		dst.AddBytes(f.Name, f.Value)
	}
	web.SetReason(w, head.Reason)
	w.WriteHeader(head.Status)
}

// plain answers with a short text, as Brick's own errors are.
func plain(w web.ResponseWriter, status int, text string) error {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	w.WriteString(text)
	return nil
}

func requestLine(r *web.Request) string {
	return string(r.Method) + " " + string(r.Target)
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

type errProtocol byte

func (e errProtocol) Error() string {
	return "wsgi: unexpected " + strconv.QuoteRune(rune(e)) + " frame from the worker"
}
