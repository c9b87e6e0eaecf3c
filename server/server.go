package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/h2"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Server serves HTTP/1.1 on the listeners given to Serve. The zero value
// is not usable: set Handler. Fields must not change once Serve is called;
// Update changes the limits, timeouts and DisableH2C of a running server.
type Server struct {
	// Handler answers every request.
	Handler web.Handler
	// Limits bounds what a client may send; zero fields take defaults.
	Limits Limits
	// Timeouts bounds how long a client may take; zero fields take defaults.
	Timeouts Timeouts
	// Logger receives error and panic reports; nil means slog.Default().
	Logger *slog.Logger
	// Trace, when set, receives every request head and response head with
	// the start of its body, as `brick -v` prints them.
	Trace io.Writer
	// Observer, when set, is told how every request ended: the status and
	// body bytes the server sent (its own answers included), how long it
	// took, and whether the connection was cut or hijacked. It is called
	// once per request on the goroutine that served it, after the
	// response is complete and before the request's memory is reused;
	// see web.Observer. Attach several with web.Observers.
	Observer web.Observer
	// BaseContext is the context of every request; nil means Background.
	BaseContext context.Context
	// GoroutinePerConn makes Serve use one goroutine per connection over
	// Go's netpoller instead of Brick's readiness loops. It is the only
	// model on systems other than Linux and for listeners without a file
	// descriptor; on Linux it exists for comparison and debugging.
	GoroutinePerConn bool
	// DisableH2C turns off HTTP/2 over cleartext: the connection preface
	// at the start of a connection (prior knowledge) and "Upgrade: h2c".
	// HTTP/2 over TLS, chosen by ALPN, is not affected.
	DisableH2C bool

	initOnce sync.Once
	// cur is the limits, timeouts and h2c switch in force (settings.go).
	cur      atomic.Pointer[settings]
	updateMu sync.Mutex // one Update at a time: cur and slots agree
	log      *slog.Logger
	ctx      context.Context // requests' context, cancelled by Close
	cancel   context.CancelFunc
	trace    *tracer
	clock    clock

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	stdConns  map[*conn]struct{}
	engine    *engine // the readiness loops, started by the first Serve
	// tlsConfigs maps each ServeTLS configuration to the one its
	// listeners use.
	tlsConfigs map[*tls.Config]*tls.Config
	tickets    []*ticketKeys // their session ticket keys, rotated until the listeners close
	// h2Conns are the connections package h2 serves, each marked once
	// Shutdown has begun draining it.
	h2Conns map[*h2.Conn]bool

	shutting atomic.Bool
	conns    atomic.Int64 // open connections, both models
	slots    *connSlots
	done     chan struct{}
}

// Limits bounds what a client may send.
type Limits struct {
	// Parser limits on the request head (414, 431).
	wire.Limits
	// MaxBodyBytes bounds a request body; larger is 413. Default 64 MiB.
	MaxBodyBytes int64
	// MaxDrainBytes bounds how much of a body the handler left unread is
	// read and discarded to keep the connection; more closes it instead.
	// Default 256 KiB.
	MaxDrainBytes int64
	// MaxConns bounds open connections; at the bound, new connections wait
	// in the listen backlog. Default: the open-file limit less a reserve
	// for files, logs and workers: a tenth of it, or 1024 when that is less.
	MaxConns int
	// MaxRequestsPerConn closes a connection after that many requests;
	// 0 means no bound.
	MaxRequestsPerConn int
}

// Timeouts bounds how long a client may take.
type Timeouts struct {
	// ReadHeader bounds receiving a request head, from its first byte (or
	// from the connection's start for the first request). Default 10 s.
	ReadHeader time.Duration
	// Read bounds each wait for request body bytes. Default 60 s.
	Read time.Duration
	// Write bounds each wait for the client to accept response bytes.
	// Default 60 s.
	Write time.Duration
	// Idle bounds a kept-alive connection's wait for its next request.
	// Default 75 s, as nginx's keepalive_timeout.
	Idle time.Duration
}

// newConnGrace is how long Shutdown leaves a new connection to send its
// first request, as net/http does: the client has likely sent it already,
// and would not retry it on a new connection.
const newConnGrace = 5 * time.Second

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("server: closed")

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.Default()
		}
		base := s.BaseContext
		if base == nil {
			base = context.Background()
		}
		s.ctx, s.cancel = context.WithCancel(base)
		if s.Trace != nil {
			s.trace = &tracer{w: s.Trace}
		}
		s.listeners = make(map[net.Listener]struct{})
		s.stdConns = make(map[*conn]struct{})
		set := s.newSettings(Settings{Limits: s.Limits, Timeouts: s.Timeouts, DisableH2C: s.DisableH2C})
		s.cur.Store(set)
		s.slots = newConnSlots(set.lim.MaxConns)
		s.done = make(chan struct{})
		s.clock.start(s.done, s.sweep)
	})
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ListenAndServe listens on addr ("host:port"; ":8888" for every address)
// with Brick's socket options and serves until Shutdown or Close.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := Listen(addr, ListenConfig{})
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln and serves them until Shutdown or Close,
// then returns ErrServerClosed. It takes ownership of ln and closes it,
// whatever it returns.
func (s *Server) Serve(ln net.Listener) error {
	return s.serve(ln, nil)
}

// ServeTLS is Serve for HTTPS: every connection on ln speaks TLS with cfg
// (see the package documentation). cfg's certificates are its own to
// choose (Certificates, GetCertificate, GetConfigForClient); ALPN is
// h2 then http/1.1 when cfg names no protocol, and TLS 1.2 is the oldest version
// accepted whatever cfg says. A client that sends plain HTTP is answered
// 400 in plain HTTP and the connection closed, as nginx does. cfg must
// not change once ServeTLS is called; it is cloned, once for all the
// listeners given the same cfg, which then resume each other's sessions.
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	if cfg == nil {
		ln.Close()
		return errors.New("server: ServeTLS needs a tls.Config (give it certificates or GetCertificate)")
	}
	return s.serve(ln, s.tlsConfig(cfg))
}

// tlsConfig is serverTLSConfig(cfg), made once per cfg, so that the
// listeners given the same cfg share its session ticket keys (crypto/tls
// keeps them per tls.Config): a session begun on one resumes on another.
// Its keys are rotated (tickets.go) until the listeners close.
func (s *Server) tlsConfig(cfg *tls.Config) *tls.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.tlsConfigs[cfg]; ok {
		return c
	}
	if s.tlsConfigs == nil {
		s.tlsConfigs = map[*tls.Config]*tls.Config{}
	}
	c := serverTLSConfig(cfg)
	s.tlsConfigs[cfg] = c
	if !s.shutting.Load() {
		s.tickets = append(s.tickets, rotateTickets(c, TicketKeyRotation))
	}
	return c
}

func (s *Server) serve(ln net.Listener, tlsCfg *tls.Config) error {
	s.init()
	// Serve closes ln on its way out, and Shutdown or Close may too.
	owned := &onceCloseListener{Listener: ln}
	defer owned.Close()
	if s.Handler == nil {
		return errors.New("server: no Handler set (set Server.Handler before calling Serve)")
	}
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[owned] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, owned)
		s.mu.Unlock()
	}()
	var err error
	if s.GoroutinePerConn || !pollable(ln) {
		err = s.serveStd(ln, tlsCfg)
	} else {
		err = s.servePoll(ln, tlsCfg)
	}
	if s.shutting.Load() {
		return ErrServerClosed
	}
	return err
}

// acquire waits for a connection slot; it reports false once shutting down.
func (s *Server) acquire() bool { return s.slots.acquire(s.done) }

// unacquire gives back a slot no connection took (a failed accept).
func (s *Server) unacquire() { s.slots.release() }

func (s *Server) release() {
	s.conns.Add(-1)
	s.slots.release()
}

// OpenConns returns the number of open connections.
func (s *Server) OpenConns() int { return int(s.conns.Load()) }

// IdleConns returns the number of kept-alive connections waiting for their
// next request, as counted at the last once-a-second sweep; ok is false
// when the server has no readiness loops (goroutine-per-connection mode
// and systems other than Linux), which do not count them.
func (s *Server) IdleConns() (n int, ok bool) {
	if e := s.getEngine(); e != nil {
		return int(e.idleCount()), true
	}
	return 0, false
}

// Shutdown stops accepting, closes idle connections, lets requests in
// flight finish (their responses carry "Connection: close") and returns
// when every connection is closed or ctx is done, whichever is first. When
// ctx ends first, the remaining connections are closed hard.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closeListeners()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		// Not before every Serve has returned: an accept loop may be
		// handing a connection it took to the readiness loops, which
		// must still be there to take it.
		if s.conns.Load() == 0 && s.serving() == 0 {
			s.stopEngine()
			return nil
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listeners and every connection at once, and cancels
// the context of the requests in flight.
func (s *Server) Close() error {
	s.init()
	s.closeListeners()
	s.mu.Lock()
	for c := range s.stdConns {
		c.t.abort()
	}
	s.mu.Unlock()
	if e := s.getEngine(); e != nil {
		e.abortAll()
	}
	s.h2Close()
	// After the aborts, so that a handler woken by the cancellation cannot
	// get a response out.
	s.cancel()
	s.stopEngine()
	return nil
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.shutting.Swap(true) {
		close(s.done)
	}
	for ln := range s.listeners {
		ln.Close()
	}
	for _, k := range s.tickets {
		k.stop()
	}
}

// closeIdle closes the connections waiting for a request.
func (s *Server) closeIdle() {
	now := uint32(time.Now().Unix()) // the server's clock stops at Shutdown
	s.mu.Lock()
	for c := range s.stdConns {
		// Taking the idle mark races with the connection's goroutine
		// taking it back when a request arrives: whoever wins owns it.
		mark := c.idle.Load()
		if mark == 0 || mark != idleBetween && now-mark < uint32(newConnGrace/time.Second) {
			continue
		}
		if c.idle.CompareAndSwap(mark, 0) {
			c.t.abort()
		}
	}
	s.mu.Unlock()
	s.h2Shutdown()
	if e := s.getEngine(); e != nil {
		e.closeParked()
	}
}

// serving is how many Serve calls are running.
func (s *Server) serving() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.listeners)
}

func (s *Server) getEngine() *engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.engine
}

func (s *Server) stopEngine() {
	if e := s.getEngine(); e != nil {
		e.stop()
	}
}

// sweep runs once a second: it closes connections whose idle or header
// deadline has passed (the readiness model keeps no timer per connection).
func (s *Server) sweep(now int64) {
	if e := s.getEngine(); e != nil {
		e.sweep(now)
	}
}
