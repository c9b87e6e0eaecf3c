package asgi

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/web"
)

// Handler is the web.Handler that runs requests as ASGI http scopes on a
// Pool's workers.
type Handler struct {
	pool    *Pool
	cfg     *Config
	log     *slog.Logger
	calls   sync.Pool
	streams sync.Pool
}

var _ web.Handler = (*Handler)(nil)

// NewHandler returns a handler that serves requests with p's workers.
func NewHandler(p *Pool) *Handler {
	h := &Handler{pool: p, cfg: &p.cfg, log: p.log}
	h.calls.New = func() any { return &call{} }
	h.streams.New = func() any { return newStream() }
	return h
}

// inlineBody is the largest request body sent inside the start frame,
// read whole before the scope starts; a larger or chunked body streams in
// body frames under flow control.
const inlineBody = 64 << 10

// call holds one request's scratch space; calls are reused.
type call struct {
	enc   StartEncoder
	frame []byte
	path  []byte
	body  []byte
	num   []byte
	pump  []byte
	timer *time.Timer // the WebSocket handshake's bound
	// watch says whether the check that the client left may run (no
	// request body is being read).
	watch bool
}

// goneEvery is how often a request waiting on its application checks
// whether the client left (a non-blocking peek at its connection), so
// that a long poll gets http.disconnect without writing first.
const goneEvery = time.Second

// Timers: a request waits on its stream's wake channel alone. The
// worker's sweeper (worker.sweep) pokes every waiting request a few
// times a second, and the request then checks its own deadline and
// whether its client left. A timer per request cost two timer-heap
// updates and a three-way select per request, several per cent of the
// Go side's CPU.

// ServeHTTP starts an http scope for r on the least busy worker and
// relays the application's response.
func (h *Handler) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	c := h.calls.Get().(*call)
	defer h.calls.Put(c)
	path, err := cgienv.AppendPath(c.path[:0], r.Path)
	if err != nil {
		return err // a *web.HandlerError: 400
	}
	c.path = path
	if m := h.cfg.Mount; m != "" && !(string(path) == m || len(path) > len(m) && path[len(m)] == '/' && string(path[:len(m)]) == m) {
		return cgienv.ErrOutsideMount
	}
	if isWebSocket(r) {
		return h.serveWebSocket(w, r, c, path)
	}
	flags := uint32(0)
	c.body = c.body[:0]
	switch {
	case r.ContentLength > 0 && r.ContentLength <= inlineBody && !r.Chunked:
		c.body = append(c.body, make([]byte, r.ContentLength)...)
		if _, err := io.ReadFull(r.Body, c.body); err != nil {
			return err // the client left or sent less: nothing to answer
		}
	case r.ContentLength != 0 || r.Chunked:
		flags = FlagMoreBody
	}
	h.scope(c, r, path)
	c.watch = flags&FlagMoreBody == 0

	s := h.streams.Get().(*stream)
	wk, err := h.pool.pick(s)
	if err != nil {
		h.streams.Put(s)
		return h.unavailable(w, r, err)
	}
	c.frame = c.enc.AppendFrame(c.frame[:0], s.id, KindHTTP, flags, c.body)
	if err := wk.write(c.frame); err != nil {
		s.fail(errWorkerLost)
	}
	var pumped chan struct{}
	if flags&FlagMoreBody != 0 {
		pumped = make(chan struct{})
		if cap(c.pump) < 32<<10 {
			c.pump = make([]byte, 32<<10)
		}
		go h.pump(s, wk, r.Body, c.pump[:cap(c.pump)], pumped)
	}
	err = h.relay(w, r, s, wk, c)
	s.mu.Lock()
	s.left = true
	finished := s.finished()
	s.mu.Unlock()
	if pumped != nil {
		poke(s.credit) // the pump may wait for window: it stops
		<-pumped
	}
	if finished {
		// A stream the worker has not ended yet is still in its
		// worker's table: it is not reused.
		h.streams.Put(s)
	}
	return err
}

// unavailable answers a request no worker took (Pool.pick's error).
func (h *Handler) unavailable(w web.ResponseWriter, r *web.Request, err error) error {
	w.Header().Set("Retry-After", "1")
	switch {
	case errors.Is(err, errPoolClosed):
		return plain(w, 503, "Service Unavailable: the server is shutting down, try again shortly\n")
	case errors.Is(err, errNoWorker):
		h.log.Error("asgi: no live worker within the timeout; answering 503", "request", requestLine(r))
		return plain(w, 503, "Service Unavailable: the application is restarting, try again shortly\n")
	}
	return plain(w, 503, "Service Unavailable: every worker is busy, try again shortly\n")
}

// scope adds the http scope's strings, in the order of the s* constants,
// then the header fields with lowercased names, duplicates kept.
func (h *Handler) scope(c *call, r *web.Request, path []byte) {
	e := &c.enc
	e.Reset()
	switch {
	case r.Major == 1 && r.Minor == 0:
		e.AddString("1.0")
	case r.Major == 2:
		e.AddString("2")
	default:
		e.AddString("1.1")
	}
	e.Add(r.Method)
	if r.TLS != nil {
		e.AddString("https")
	} else {
		e.AddString("http")
	}
	e.Add(path)
	e.Add(r.Path)
	e.Add(r.Query)
	e.AddString(h.cfg.Mount)
	h.addr(c, r.RemoteAddr)
	h.addr(c, r.LocalAddr)
	// HTTP/2 carries the host as :authority, which is no header field;
	// the ASGI spec wants it first among the headers, as host, where
	// frameworks look for it.
	if r.Major == 2 && len(r.Host) > 0 && r.Header.Count("Host") == 0 {
		e.AddString("host")
		e.Add(r.Host)
	}
	for _, f := range r.Header.Fields() {
		e.AddLower(f.Name)
		e.Add(f.Value)
	}
}

// addr adds a host and port; both empty when the connection is not TCP.
func (h *Handler) addr(c *call, a netip.AddrPort) {
	if !a.IsValid() {
		c.enc.Add(nil)
		c.enc.Add(nil)
		return
	}
	c.num = a.Addr().Unmap().AppendTo(c.num[:0])
	c.enc.Add(c.num)
	c.num = strconv.AppendUint(c.num[:0], uint64(a.Port()), 10)
	c.enc.Add(c.num)
}

// pump streams the request body to the worker as it grants credit: the
// worker never holds more than Window bytes of it that the application
// has not read. A client that leaves mid-body becomes http.disconnect.
func (h *Handler) pump(s *stream, wk *worker, body io.Reader, buf []byte, done chan struct{}) {
	defer close(done)
	for {
		s.mu.Lock()
		win, over := s.window, s.finished() || s.left
		s.mu.Unlock()
		if over {
			return
		}
		if win <= 0 {
			<-s.credit
			continue
		}
		n, err := body.Read(buf[FrameHeaderLen:min(len(buf), FrameHeaderLen+win)])
		if n > 0 {
			s.mu.Lock()
			s.window -= n
			s.mu.Unlock()
			AppendFrameHeader(buf[:0], FrameBody, s.id, n)
			if wk.write(buf[:FrameHeaderLen+n]) != nil {
				return
			}
		}
		switch {
		case err == io.EOF:
			wk.control(FrameBodyEnd, s.id)
			return
		case err != nil:
			s.mu.Lock()
			s.bodyErr = err
			s.mu.Unlock()
			wk.control(FrameDisconnect, s.id)
			return
		}
	}
}

// relay writes the application's response to the client as it arrives,
// granting the worker credit for each piece written.
func (h *Handler) relay(w web.ResponseWriter, r *web.Request, s *stream, wk *worker, c *call) error {
	now := time.Now()
	deadline, nextPoll := now.Add(h.cfg.Timeout), now.Add(goneEvery)
	s.swept.Store(true)
	defer s.swept.Store(false)
	started, gone, waited := false, false, false
	for {
		head, data, done := s.take()
		var file *os.File
		if done {
			s.mu.Lock()
			path := s.path
			s.mu.Unlock()
			if path != "" {
				f, err := os.Open(path)
				if err != nil {
					h.log.Error("asgi: http.response.pathsend: cannot open the file", "request", requestLine(r), "err", err)
					if !started {
						return plain(w, 500, "Internal Server Error\n")
					}
					return web.ErrAbortHandler
				}
				defer f.Close()
				file = f
			}
		}
		if head {
			dst := w.Header()
			for _, f := range s.head.Header.Fields() {
				dst.AddBytes(f.Name, f.Value)
			}
			if file != nil && s.head.ContentLength < 0 {
				if fi, err := file.Stat(); err == nil && fi.Mode().IsRegular() {
					// The length lets the server send the file with
					// sendfile(2) instead of chunks.
					dst.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
				}
			}
			w.WriteHeader(s.head.Status)
			started = true
			if !done && string(r.Method) == "HEAD" {
				// A HEAD's response ends with its head. The body the
				// application goes on streaming is nobody's, and an
				// endless one (server-sent events) would hold the
				// connection forever: the application learns of it as
				// of a client that left, and the connection serves on.
				wk.control(FrameDisconnect, s.id)
				if data != nil {
					s.giveBack(data)
				}
				return nil
			}
		}
		if file != nil {
			if fi, err := file.Stat(); err == nil {
				if _, err := web.SendFile(w, file, 0, fi.Size()); err != nil && !errors.Is(err, web.ErrBodyNotAllowed) {
					return web.ErrAbortHandler
				}
			}
		}
		if data != nil {
			n := len(data)
			if !gone {
				if _, err := w.Write(data); err != nil && !errors.Is(err, web.ErrBodyNotAllowed) {
					if errors.Is(err, web.ErrContentLength) {
						h.log.Warn("asgi: the application sent more than its Content-Length; the rest was dropped", "request", requestLine(r))
					} else {
						gone = true
						wk.control(FrameDisconnect, s.id)
					}
				} else if !done && s.empty() && web.Flush(w) != nil {
					gone = true
					wk.control(FrameDisconnect, s.id)
				}
			}
			s.giveBack(data)
			if gone {
				// The stream is left: the reader drops and credits
				// back what the application still sends, which learns
				// of the disconnect from its next send or receive.
				return web.ErrAbortHandler
			}
			if !done {
				// A stream that ended needs no more credit: the worker
				// has forgotten it.
				wk.grant(s.id, n)
			}
		}
		if done {
			break
		}
		if waited {
			// Read after the wait, not before it: a response that was
			// complete when the handler woke needs no clock.
			now = time.Now()
		}
		if c.watch && !gone && !now.Before(nextPoll) {
			nextPoll = now.Add(goneEvery)
			if h.left(w, s, wk) {
				if started {
					return web.ErrAbortHandler
				}
				return web.ErrClientGone
			}
		}
		if started || now.Before(deadline) {
			<-s.wake
			waited = true
			continue
		}
		wk.control(FrameCancel, s.id)
		h.pool.stats.timeouts.Add(1)
		h.log.Warn("asgi: no response start within the timeout; answering 504 and cancelling the request", "request", requestLine(r),
			"pid", wk.proc.Pid(), "timeout", h.cfg.Timeout.String())
		return plain(w, 504, "Gateway Timeout: the application took too long\n")
	}
	s.mu.Lock()
	aborted, trace, err, bodyErr := s.aborted, s.trace, s.err, s.bodyErr
	s.mu.Unlock()
	switch {
	case gone:
		return web.ErrAbortHandler
	case aborted && trace == "" && !started && bodyErr != nil:
		// The application stopped on the http.disconnect of a body that
		// failed: the server answers that failure (413, 400, 408).
		return bodyErr
	case aborted && trace == "":
		// Cancelled or gone without a traceback: nothing whole to send.
		return web.ErrAbortHandler
	case aborted && trace != "":
		h.log.Error("asgi: the application raised", "request", requestLine(r), "pid", wk.proc.Pid(), "traceback", trace)
	case err != nil:
		h.log.Error("asgi: worker lost during a request", "request", requestLine(r), "pid", wk.proc.Pid(), "exit", wk.proc.Exit())
	default:
		return nil
	}
	if started {
		return web.ErrAbortHandler // never a complete-looking body
	}
	if err != nil {
		return plain(w, 502, "Bad Gateway: the application's worker exited\n")
	}
	return plain(w, 500, "Internal Server Error\n")
}

// left checks whether the client of a request waiting on its application
// has gone; if so the application gets http.disconnect (its send()
// raises) and the handler gives the stream up. Otherwise the next check
// is due goneEvery later.
func (h *Handler) left(w web.ResponseWriter, s *stream, wk *worker) bool {
	if !web.ClientGone(w) {
		return false
	}
	s.mu.Lock()
	s.left = true
	s.mu.Unlock()
	wk.control(FrameDisconnect, s.id)
	return true
}

// empty reports whether no response bytes wait in the stream.
func (s *stream) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) == 0
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
