package service

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/accesslog"
	"github.com/brick-server/brick/acme"
	"github.com/brick-server/brick/certs"
	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/internal/listenfd"
	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/prometheus/client_golang/prometheus"
)

// Service serves a configuration: its sites and routes behind an access
// log and metrics, on its listeners, with an admin listener for /metrics
// and /healthz. Every way of running Brick goes through it: `brick run`
// with a file's options, `brick`, `brick DIR`, `brick wsgi` and `brick php`
// with the options their flags compile to. Reload applies the options anew to new
// requests while the requests in flight finish under the old ones.
type Service struct {
	// Stderr is where [server] trace prints the exchanges; os.Stderr
	// when nil. Set it before Run.
	Stderr io.Writer

	// Expose, when set, is how the command line widens a listener that
	// only this machine reaches (the flag, "-addr"): the start-up line
	// says so beside a loopback address.
	Expose string

	source   Source
	lns      []listenfd.Listener // opened by Open, for Run
	handlers Handlers
	log      *slog.Logger
	try      string
	attrs    []any

	cur      atomic.Pointer[live]
	reloadMu sync.Mutex

	// retiring counts the generations reloads replaced that are still
	// closing (their ASGI pools keep open WebSockets for ws_grace): the
	// process, stopping or upgraded, leaves only after them. stopping,
	// closed by close, ends their wait for requests in flight.
	retiringMu sync.Mutex
	retiring   sync.WaitGroup
	stopping   chan struct{}
	stopped    bool

	access    *accesslog.Writer
	accessTo  string
	accessMu  sync.Mutex // guards access and accessTo: SIGUSR1 and SIGHUP run apart
	accessNow atomic.Pointer[accessState]
	observer  web.Observer // metrics, then the access log: told of every request
	// accessLost counts the access log lines lost to write errors, across
	// the writers reloads open.
	accessLost atomic.Uint64

	// certs serves the HTTPS listeners' certificates; a reload loads
	// them anew (new handshakes get the new ones).
	certs certs.Store

	// acme obtains and renews the certificates of the sites with tls =
	// "auto" (nil without them), with acmeConf its settings; acmeHTTP
	// and acmeTLS are the bound listeners that answer the CA's
	// challenges, and httpsPort the port redirects to HTTPS name.
	acme      atomic.Pointer[acme.Manager]
	acmeConf  acme.Config
	acmeHTTP  string
	acmeTLS   string
	httpsPort atomic.Int32

	reg     *prometheus.Registry
	front   web.Handler // the current generation
	main    *server.Server
	admin   *server.Server
	healthy atomic.Bool
}

// accessState is the access log in force (nil when off), with the lines
// being written to it counted, so that a writer a reload replaced is
// closed only after them.
type accessState struct {
	log *accesslog.Logger
	inflight
}

// live is a generation with the count of its requests in flight.
type live struct {
	gen *generation
	inflight
}

// inflight counts the requests using something a reload may replace.
// Once retired it takes no new request, and idle is closed when the last
// one in flight is done.
type inflight struct {
	state atomic.Int64 // requests in flight, plus retired once retired
	idle  chan struct{}
	once  sync.Once
}

const retired = 1 << 62

func newLive(gen *generation) *live { return &live{gen: gen, inflight: newInflight()} }

func newInflight() inflight { return inflight{idle: make(chan struct{})} }

// acquire counts a request in; it fails once retired.
func (l *inflight) acquire() bool {
	if l.state.Add(1)&retired != 0 {
		l.release()
		return false
	}
	return true
}

func (l *inflight) release() {
	if l.state.Add(-1) == retired {
		l.once.Do(func() { close(l.idle) })
	}
}

// retire makes acquire fail from now on; idle is closed once the
// requests in flight are done.
func (l *inflight) retire() {
	if l.state.Or(retired) == 0 {
		l.once.Do(func() { close(l.idle) })
	}
}

// testHookServe, set only by tests, runs between taking the current
// generation and counting the request in it.
var testHookServe func()

// Source gives the options a Service serves, and again on each Reload.
type Source struct {
	// Name says where the options come from, in messages: the file's
	// path, or a command line.
	Name string
	// Load returns the options, parsed and validated.
	Load func() (*config.Options, error)
}

// File is the Source of a configuration file: read again on each reload.
func File(path string) Source {
	return Source{Name: path, Load: func() (*config.Options, error) { return config.Load(path) }}
}

// Fixed is the Source of options compiled in code, such as a command
// line's: each reload applies them again (WSGI applications reload their
// code; static files are served afresh).
func Fixed(name string, opts *config.Options) Source {
	return Source{Name: name, Load: func() (*config.Options, error) { return opts, nil }}
}

// Load reads the configuration at path and builds a Service from it, as
// New(File(path), ...) does.
func Load(path string, handlers Handlers, log *slog.Logger) (*Service, error) {
	return New(File(path), handlers, log)
}

// New builds a Service from the options src gives: every WSGI application
// is imported and every static root opened, so options that load are a
// site that serves.
func New(src Source, handlers Handlers, log *slog.Logger) (*Service, error) {
	opts, err := loadChecked(src, handlers)
	if err != nil {
		return nil, err
	}
	s := &Service{source: src, handlers: handlers, log: log, reg: metrics.NewRegistry(), try: "/"}
	if opts.File != "" {
		s.attrs = []any{"config", opts.File}
	}
	m, err := s.prepareACME(opts)
	if err != nil {
		return nil, err
	}
	s.commitACME(m, opts)
	if err := s.certs.Load(s.certSources(opts, m)); err != nil {
		s.stopACME()
		return nil, err
	}
	s.logInternalCA(nil)
	gen, err := build(opts, handlers, log, nil)
	if err != nil {
		s.stopACME()
		return nil, err
	}
	s.cur.Store(newLive(gen))
	if err := s.observe(opts); err != nil {
		gen.close(false)
		s.stopACME()
		return nil, err
	}
	s.healthy.Store(true)
	return s, nil
}

// logInternalCA says where the internal CA's root is and how to trust
// it, when the sites use it and did not before.
func (s *Service) logInternalCA(before *certs.InternalCA) {
	if ca := s.certs.InternalCA(); ca != nil && before == nil {
		s.log.Info("tls internal: certificates come from Brick's own CA; trust its root to connect without warnings",
			"root", ca.RootPath(), "how", ca.TrustHint())
	}
}

// Describe sets what the start-up lines say besides the address: the path
// to try with curl ("/" by default) and key-value attributes (by default
// the configuration file).
func (s *Service) Describe(try string, attrs ...any) {
	s.try, s.attrs = try, attrs
}

// observe attaches the metrics and the access log: the server tells them
// how each request ended (Run sets s.observer on the main server), and
// the router has recorded on the request the site and route it matched,
// so nothing routes twice.
func (s *Service) observe(opts *config.Options) error {
	httpm, err := metrics.NewHTTP(s.reg)
	if err != nil {
		return err
	}
	s.reg.MustRegister(metrics.NewPythonCollector(s.pythonStats))
	s.reg.MustRegister(metrics.NewProxyCollector(s.proxyStats))
	if err := metrics.RegisterAccessLog(s.reg, s.accessLost.Load); err != nil {
		return err
	}
	s.front = web.HandlerFunc(s.serveCurrent)
	s.observer = web.Observers{httpm, web.ObserverFunc(s.logAccess)}
	return s.setAccessLog(opts.Log)
}

// loadChecked loads and checks options, including the paths they name
// and the handlers they refer to.
func loadChecked(src Source, handlers Handlers) (*config.Options, error) {
	opts, err := src.Load()
	if err != nil {
		return nil, err
	}
	if err := opts.CheckPaths(); err != nil {
		return nil, err
	}
	if err := opts.CheckHandlers(func(name string) bool { _, ok := handlers[name]; return ok }); err != nil {
		return nil, err
	}
	return opts, nil
}

// Validate checks the file at path as Load would, without starting
// anything; for `brick validate`.
func Validate(path string, handlers Handlers) error {
	_, err := loadChecked(File(path), handlers)
	return err
}

// serveCurrent serves a request with the current generation, which stays
// alive until the request is done.
func (s *Service) serveCurrent(w web.ResponseWriter, r *web.Request) error {
	for {
		l := s.cur.Load()
		if testHookServe != nil {
			testHookServe()
		}
		if l.acquire() {
			// A function of its own: a defer inside the loop would be
			// heap-allocated on every request.
			return s.serveIn(l, w, r)
		}
		// A reload retired l between the two lines above, and may have
		// closed it already: the current one is newer.
	}
}

// serveIn serves r with the generation l, acquired, and releases it.
func (s *Service) serveIn(l *live, w web.ResponseWriter, r *web.Request) error {
	defer l.release()
	if r.TLS == nil && l.gen.tlsHosts != nil {
		if done, err := s.servePlain(l.gen.tlsHosts, w, r); done {
			return err
		}
	}
	return l.gen.router.ServeHTTP(w, r)
}

// logAccess writes a request's line to the access log in force.
func (s *Service) logAccess(r *web.Request, c web.Completion) {
	for {
		st := s.accessNow.Load()
		if st.acquire() {
			if st.log != nil {
				st.log.Complete(r, c)
			}
			st.release()
			return
		}
		// A reload replaced it between the load and the count.
	}
}

// setAccessLog opens the access log a configuration asks for; the same
// destination keeps its open file across reloads.
func (s *Service) setAccessLog(lc config.Log) error {
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	format, err := accesslog.ParseFormat(lc.Format)
	if err != nil {
		return err
	}
	var replaced *accesslog.Writer
	if lc.Access != "off" && (s.access == nil || s.accessTo != lc.Access) {
		w, err := accesslog.Open(lc.Access, accesslog.WithLogger(s.log), accesslog.WithLostCounter(&s.accessLost))
		if err != nil {
			return fmt.Errorf("access log: %w", err)
		}
		replaced = s.access
		s.access, s.accessTo = w, lc.Access
	} else if lc.Access == "off" && s.access != nil {
		replaced = s.access
		s.access, s.accessTo = nil, ""
	}
	st := &accessState{inflight: newInflight()}
	if lc.Access != "off" {
		st.log = accesslog.New(s.access, format)
	}
	prev := s.accessNow.Swap(st)
	if prev != nil {
		prev.retire()
	}
	if replaced != nil {
		// Requests that began under the old writer still log to it.
		grace := 30 * time.Second
		if l := s.cur.Load(); l != nil {
			grace = l.gen.opts.Server.ReloadGrace
		}
		go func() {
			if prev != nil {
				select {
				case <-prev.idle:
				case <-time.After(grace):
				}
			}
			replaced.Close()
		}()
	}
	return nil
}

// ReopenLogs reopens the access log file, for log rotation (SIGUSR1).
func (s *Service) ReopenLogs() {
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	if s.access == nil {
		return
	}
	if err := s.access.Reopen(); err != nil {
		s.log.Error("cannot reopen the access log", "err", err)
		return
	}
	s.log.Info("access log reopened", "path", s.accessTo)
}

// pythonStats reports the current generation's WSGI and ASGI pools for
// metrics.
func (s *Service) pythonStats() []metrics.PythonApp {
	l := s.cur.Load()
	var out []metrics.PythonApp
	for _, np := range l.gen.pools {
		switch p := np.pool.(type) {
		case *wsgi.Pool:
			out = append(out, wsgiApp(np.name, p.Snapshot()))
		case *asgi.Pool:
			out = append(out, asgiApp(np.name, p.Snapshot()))
		}
	}
	return out
}

func wsgiApp(name string, st wsgi.PoolStats) metrics.PythonApp {
	app := metrics.PythonApp{Gateway: "wsgi", Name: name, Busy: st.Busy, Idle: st.Idle, Restarts: st.Restarts,
		Timeouts: st.Timeouts, QueueLength: st.QueueLength, QueueWait: waitHistogram(st.QueueWait, st.QueueWaitCount, st.QueueWaitSum)}
	for _, w := range st.Workers {
		app.Workers = append(app.Workers, metrics.PythonWorker{PID: w.PID, MemoryBytes: uint64(max(w.Memory, 0))})
	}
	return app
}

func asgiApp(name string, st asgi.PoolStats) metrics.PythonApp {
	app := metrics.PythonApp{Gateway: "asgi", Name: name, Busy: st.Busy, Idle: st.Idle, Restarts: st.Restarts,
		Timeouts: st.Timeouts, QueueLength: st.QueueLength, QueueWait: waitHistogram(st.QueueWait, st.QueueWaitCount, st.QueueWaitSum),
		ASGI: &metrics.ASGIPool{Retiring: st.Retiring, WebSockets: st.WebSockets}}
	for _, w := range st.Workers {
		app.Workers = append(app.Workers, metrics.PythonWorker{PID: w.PID, MemoryBytes: uint64(max(w.Memory, 0)), Streams: w.Streams})
	}
	return app
}

// waitHistogram is a pool's queue wait, counted per wsgi.QueueWaitBounds
// (the ASGI pool's bounds too), for metrics.
func waitHistogram(cumulative []uint64, count uint64, sum float64) metrics.Histogram {
	h := metrics.Histogram{Count: count, Sum: sum, Buckets: make(map[float64]uint64, len(wsgi.QueueWaitBounds))}
	for i, b := range wsgi.QueueWaitBounds {
		if i < len(cumulative) {
			h.Buckets[b] = cumulative[i]
		}
	}
	return h
}

// proxyStats reports the upstreams of the current generation's proxy
// routes for metrics.
func (s *Service) proxyStats() []metrics.ProxyUpstream {
	var out []metrics.ProxyUpstream
	for _, np := range s.cur.Load().gen.proxies {
		for _, u := range np.h.Stats() {
			out = append(out, metrics.ProxyUpstream{Route: np.route, Upstream: u.URL, Healthy: u.Healthy,
				Available: u.Available, Active: u.Active, Idle: u.Idle, Failures: u.Failures,
				Checked: u.Checked, CheckError: u.CheckError})
		}
	}
	return out
}

// Run serves until SIGINT or SIGTERM, on the listeners Open bound (or,
// after New, on listeners it opens now): SIGHUP reloads the file, SIGUSR1
// reopens the access log, SIGUSR2 upgrades the binary.
func (s *Service) Run() int {
	opts := s.cur.Load().gen.opts
	so := opts.Server
	lns := s.lns
	if lns == nil {
		var err error
		if lns, err = listen(so, s.log); err != nil {
			s.log.Error("cannot listen", "err", err)
			s.close(false)
			return 1
		}
	}
	set := mainSettings(so)
	s.main = &server.Server{Handler: s.front, Observer: s.observer, Logger: s.log, GoroutinePerConn: so.GoroutinePerConn,
		Limits: set.Limits, Timeouts: set.Timeouts, DisableH2C: set.DisableH2C}
	if so.Trace {
		s.main.Trace = s.Stderr
		if s.main.Trace == nil {
			s.main.Trace = os.Stderr
		}
	}
	// Listeners returns the configured addresses in order, then any
	// extra sockets socket activation gave: those serve the sites.
	nPlain, nTLS, nAdmin := len(so.Listen), len(so.ListenTLS), 0
	if so.Admin != "" {
		nAdmin = 1
	}
	mainLns := append(lns[:nPlain:nPlain], lns[nPlain+nTLS+nAdmin:]...)
	main := Served{Server: s.main, Listeners: mainLns}
	if nTLS > 0 {
		main.TLSListeners, main.TLS = lns[nPlain:nPlain+nTLS], s.certs.TLSConfig()
		if _, p, err := net.SplitHostPort(lns[nPlain].Addr().String()); err == nil {
			port, _ := strconv.Atoi(p)
			s.httpsPort.Store(int32(port))
			s.acmeTLS = lns[nPlain].Addr().String()
		}
		if nPlain > 0 {
			s.acmeHTTP = lns[0].Addr().String()
		}
	}
	servers := []Served{main}
	if so.Admin != "" {
		adminLn := lns[nPlain+nTLS]
		s.admin = &server.Server{Handler: metrics.AdminHandler(s.reg, s.healthy.Load, s.proxyStats), Logger: s.log}
		servers = append(servers, Served{Server: s.admin, Listeners: []listenfd.Listener{adminLn}})
		s.log.Info("admin listener: /metrics and /healthz", "addr", adminLn.Addr().String())
	}
	// The engine starts with Serve; until then IdleConns says 0.
	var idle func() int
	if !s.main.GoroutinePerConn {
		idle = func() int { n, _ := s.main.IdleConns(); return n }
	}
	metrics.RegisterConns(s.reg, s.main.OpenConns, idle)
	r := &Runner{Log: s.log, Servers: servers,
		// As the configuration in force says: a reload may change them.
		Graces: func() (time.Duration, time.Duration) {
			so := s.cur.Load().gen.opts.Server
			return so.ShutdownTimeout, so.WSGrace
		},
		OnHUP: func() {
			s.log.Info("SIGHUP: reloading the configuration", "from", s.source.Name)
			if err := s.Reload(); err != nil {
				s.log.Error("reload failed; the running configuration keeps serving", "err", err)
			}
		},
		OnUSR1: s.ReopenLogs,
		// Tests and scripts that wait for this line send SIGHUP next.
		Started: func() {
			LogServing(s.log, main.Listeners, "http", s.try, s.Expose, s.attrs...)
			LogServing(s.log, main.TLSListeners, "https", s.try, s.Expose, s.attrs...)
			s.logAuto(opts)
			// The listeners are bound: the CA's challenges reach Brick
			// (queued until it serves, a moment later), and certmagic's
			// solvers, finding the ports taken, start none.
			s.manage(opts)
		},
		BeforeDrain: func() {
			s.healthy.Store(false)
			// No obtain may outlive the listeners that answer it.
			s.stopACME()
		},
	}
	// After an upgrade, ASGI pools keep their WebSockets for their
	// ws_grace; on a stop they close them at once.
	r.AfterDrain = func() { s.close(r.Upgraded) }
	return r.Run()
}

// close stops the current generation and flushes the access log.
func (s *Service) close(upgraded bool) {
	s.healthy.Store(false)
	s.stopACME()
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.stopRetiring()
	s.cur.Load().gen.close(upgraded)
	// Generations reloads replaced keep their WebSockets for ws_grace
	// after an upgrade; on a stop the Runner closes every WebSocket with
	// 1001 at once beside this (websocket.Drain), so they end promptly.
	s.retiring.Wait()
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	if s.access != nil {
		s.access.Close()
	}
}
