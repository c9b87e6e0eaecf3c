package asgi

import (
	_ "embed"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/procpool"
)

// workerSource is the Python side, embedded so that a user installs
// nothing beyond the application.
//
//go:embed python/worker.py
var workerSource []byte

// wsSource is the worker's websocket scope, a module beside it.
//
//go:embed python/_brick_asgi_ws.py
var wsSource []byte

// Pool supervises the worker processes. Each of Workers slots keeps one
// live worker: a worker that dies is replaced with backoff; one that must
// be recycled (max requests, max memory) gets its successor first and is
// retired once the successor is ready. A retired worker takes no new
// scope, finishes those in flight (up to Grace), runs its lifespan
// shutdown and leaves: nothing in flight is dropped.
//
// Reload starts a whole new generation beside the old one and swaps it
// in once every new worker is ready; when the new code fails to start,
// the old generation serves on.
type Pool struct {
	cfg    Config
	log    *slog.Logger
	python string
	script string
	tmp    string
	env    []string

	mu      sync.Mutex
	workers []*worker // in service, one per slot
	// installed is closed, and replaced, whenever a worker is put in
	// service: requests that found none alive wait for it.
	installed chan struct{}
	gen       int
	closed    bool
	wsNow     bool                 // retiring workers close their WebSockets at once (Close)
	keepWS    bool                 // KeepWebSockets: Close keeps them for WSGrace
	leaving   map[*worker]struct{} // retired workers not yet stopped
	retired   sync.WaitGroup       // retired workers still leaving

	stats counters

	wakes    []chan struct{} // one per slot: a recycle was asked for
	closing  chan struct{}
	wg       sync.WaitGroup
	reloadMu sync.Mutex
	// releaseFront gives back the server's threads' policy
	// (pyproc.ShareOneCPU) when the pool closes.
	releaseFront func()
}

var errPoolClosed = errors.New("asgi: the worker pool is closed")

// NewPool starts cfg.Workers workers side by side and returns once every
// one is ready (application imported, lifespan started). An application
// that fails to import, or whose lifespan startup fails, is reported with
// its message.
func NewPool(cfg Config, log *slog.Logger) (*Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if err := pyproc.CheckDir(cfg.pySpec()); err != nil {
		return nil, err
	}
	py, err := pyproc.Find(cfg.pySpec())
	if err != nil {
		return nil, err
	}
	log.Info(py.Why)
	p := &Pool{cfg: cfg, log: log, python: py.Path, env: pyproc.Env(cfg.pySpec()), closing: make(chan struct{}), installed: make(chan struct{})}
	if p.tmp, err = os.MkdirTemp("", "brick-asgi-"); err != nil {
		return nil, err
	}
	p.script = filepath.Join(p.tmp, "worker.py")
	err = os.WriteFile(filepath.Join(p.tmp, "_brick_asgi_ws.py"), wsSource, 0o600)
	if err == nil {
		err = os.WriteFile(p.script, workerSource, 0o600)
	}
	if err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	if p.workers, err = p.startAll(0); err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	// Once the workers serve: the server's threads share their CPU the
	// way they do (pyproc.ShareOneCPU) until the pool closes.
	if p.releaseFront, err = pyproc.ShareOneCPU(cfg.Scheduling); err != nil {
		log.Warn("cannot put all of the server's threads under the batch scheduling policy beside its workers on one CPU; some keep the one they had", "err", err)
	}
	p.wakes = make([]chan struct{}, cfg.Workers)
	for i := range p.wakes {
		p.wakes[i] = make(chan struct{}, 1)
		p.wg.Add(1)
		go p.run(i)
	}
	if cfg.MaxMemory > 0 {
		p.wg.Add(1)
		go p.watchMemory()
	}
	return p, nil
}

// Python returns the interpreter the workers run.
func (p *Pool) Python() string { return p.python }

func (p *Pool) stopping() bool {
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}

// startAll starts a worker per slot of generation gen, side by side; when
// one fails the others are stopped and its error returned.
func (p *Pool) startAll(gen int) ([]*worker, error) {
	ws := make([]*worker, p.cfg.Workers)
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() { ws[i], errs[i] = p.spawn(gen) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, w := range ws {
			if w != nil {
				wg.Go(func() { w.stop(time.Second) })
			}
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				return nil, e // the first: the others say the same
			}
		}
	}
	return ws, nil
}

// pick chooses the least busy live worker with room for a stream and
// registers s on it. When no worker is alive (the only one crashed and its
// replacement is starting) it waits for one, up to Timeout; when every
// live worker is full, the request is turned away at once.
func (p *Pool) pick(s *stream) (*worker, error) {
	var timer *time.Timer
	var queued time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
			p.stats.queued.Add(-1)
		}
	}()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errPoolClosed
		}
		var best *worker
		bestLoad, alive := p.cfg.MaxStreams, false
		for _, w := range p.workers {
			l, ok := w.room()
			alive = alive || ok
			if ok && l < bestLoad {
				best, bestLoad = w, l
			}
		}
		installed := p.installed
		p.mu.Unlock()
		switch {
		case best != nil && best.open(s, p.cfg.MaxStreams):
			p.waited(queued)
			return best, nil
		case best != nil:
			continue // it died or filled since: look again
		case alive:
			return nil, errBusy
		}
		if timer == nil {
			timer, queued = time.NewTimer(p.cfg.Timeout), time.Now()
			p.stats.queued.Add(1)
		}
		select {
		case <-installed:
		case <-timer.C:
			return nil, errNoWorker
		case <-p.closing:
			return nil, errPoolClosed
		}
	}
}

var (
	errBusy     = errors.New("asgi: every worker has its maximum of requests in flight")
	errNoWorker = errors.New("asgi: no live worker")
)

// announceLocked wakes the requests waiting for a live worker. Under p.mu.
func (p *Pool) announceLocked() {
	close(p.installed)
	p.installed = make(chan struct{})
}

// run keeps slot i's worker alive and recycles it when asked.
func (p *Pool) run(i int) {
	defer p.wg.Done()
	crash := procpool.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Stable: 10 * time.Second}
	for {
		p.mu.Lock()
		w := p.workers[i]
		p.mu.Unlock()
		select {
		case <-p.closing:
			return
		case <-p.wakes[i]:
			if w.recycle.Load() {
				if nw, err := p.spawn(p.generation()); err == nil {
					p.install(i, w, nw)
				} else if !errors.Is(err, errPoolClosed) {
					p.log.Error("asgi: replacement worker failed to start; the old one keeps serving", "pid", w.proc.Pid(), "err", err)
					w.recycle.Store(false)
				}
			}
		case <-w.proc.Done():
			if p.stopping() {
				return
			}
			p.mu.Lock()
			current := p.workers[i] == w
			p.mu.Unlock()
			if !current {
				continue // retired by a Reload, and replaced
			}
			reason := "crash"
			if w.timedOut.Load() {
				reason = "timeout"
			}
			p.countRestart(reason)
			p.log.Warn("asgi worker exited; starting a replacement", "pid", w.proc.Pid(), "exit", w.proc.Exit(), "served", w.served.Load())
			delay := crash.Next(w.proc.Uptime())
			for {
				select {
				case <-time.After(delay):
				case <-p.closing:
					return
				}
				nw, err := p.spawn(p.generation())
				if err == nil {
					p.install(i, w, nw)
					break
				}
				if errors.Is(err, errPoolClosed) {
					return
				}
				delay = crash.Next(0)
				p.log.Error("asgi worker failed to start; retrying", "retry_in", delay.String(), "err", err)
			}
		}
	}
}

func (p *Pool) generation() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

// install puts nw in slot i in place of old, if old is still there (a
// Reload may have replaced it meanwhile), and retires old.
func (p *Pool) install(i int, old, nw *worker) {
	p.mu.Lock()
	if p.closed || p.workers[i] != old || nw.gen < p.gen {
		p.mu.Unlock()
		nw.stop(time.Second)
		return
	}
	p.workers[i] = nw
	p.retireLocked(old)
	p.announceLocked()
	p.mu.Unlock()
}

// retireLocked takes w out of service: it finishes what it has in flight,
// for up to Grace, then stops. Open WebSockets are not cut at Grace: they
// live on until they close or WSGrace ends, when they close with 1001
// (going away) and the application gets its websocket.disconnect. Under
// p.mu.
func (p *Pool) retireLocked(w *worker) {
	w.mu.Lock()
	w.retiring = true
	empty := len(w.streams) == 0
	w.mu.Unlock()
	if empty {
		w.signalDrained()
	}
	p.retired.Add(1)
	wsNow := p.wsNow
	if p.leaving == nil {
		p.leaving = map[*worker]struct{}{}
	}
	p.leaving[w] = struct{}{}
	go func() {
		defer p.retired.Done()
		defer func() {
			p.mu.Lock()
			delete(p.leaving, w)
			p.mu.Unlock()
		}()
		if wsNow {
			w.goAway()
		}
		p.awaitRetired(w)
		w.stop(p.cfg.Grace)
	}()
}

// awaitRetired waits until the retired w has finished its scopes: its
// requests get Grace, its WebSockets WSGrace (each counted from now,
// whichever is shorter), after which they close with 1001 and get
// CloseTimeout for the closing handshake. A worker left with requests
// still running when Grace ends is stopped anyway.
func (p *Pool) awaitRetired(w *worker) {
	grace := time.NewTimer(p.cfg.Grace)
	defer grace.Stop()
	wsGrace := time.NewTimer(p.cfg.WSGrace)
	defer wsGrace.Stop()
	graceC, wsC := grace.C, wsGrace.C
	for {
		select {
		case <-w.drained:
			return
		case <-wsC:
			wsC = nil
			w.goAway()
			if graceC == nil {
				// Only WebSockets held w past Grace: now their closing
				// handshakes bound the wait.
				grace.Reset(wsOptions.CloseTimeout + time.Second)
				graceC = grace.C
			}
		case <-graceC:
			graceC = nil
			if n := w.webSockets(); wsC != nil && n > 0 && n == w.load() {
				p.log.Info("asgi: retired worker keeps its open WebSockets", "pid", w.proc.Pid(), "websockets", n, "ws_grace", p.cfg.WSGrace.String())
				continue
			}
			if w.load() > 0 {
				p.log.Warn("asgi: retired worker still busy after the grace period; stopping it", "pid", w.proc.Pid(), "in_flight", w.load())
			}
			return
		}
	}
}

// askRecycle asks w's slot for a replacement, once.
func (p *Pool) askRecycle(w *worker, why string) {
	if !w.recycle.CompareAndSwap(false, true) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, iw := range p.workers {
		if iw == w {
			p.log.Info("asgi worker recycling", "pid", w.proc.Pid(), "why", why, "served", w.served.Load())
			p.countRestartLocked(restartReason(why))
			poke(p.wakes[i])
			return
		}
	}
}

// Reload replaces every worker with one running freshly imported code,
// without dropping a request in flight: the new generation starts beside
// the old one and takes every new request once all of it is ready; each
// old worker finishes its scopes and leaves. When the new code fails to
// start, the error is returned and the old workers serve on.
func (p *Pool) Reload() error {
	commit, _, err := p.Stage()
	if err != nil {
		return err
	}
	return commit()
}

// Stage is Reload in two steps, for a reload of several pools that must
// change all or none: it starts the new generation beside the old one
// and returns once every new worker is ready, while the old ones serve
// on. Then exactly one of commit (swap the new generation in) and abort
// (stop it; the old one serves on) must be called; no other Reload or
// Stage of p runs until then. On error nothing changed and neither is
// called.
func (p *Pool) Stage() (commit func() error, abort func(), err error) {
	p.reloadMu.Lock()
	gen := p.generation() + 1
	ws, err := p.startAll(gen)
	if err != nil {
		p.reloadMu.Unlock()
		return nil, nil, err
	}
	commit = func() error {
		defer p.reloadMu.Unlock()
		return p.swapIn(gen, ws)
	}
	abort = func() {
		defer p.reloadMu.Unlock()
		// The staged workers are gone when abort returns, as they are
		// when Stage fails: a Close right after (Brick stopping after a
		// failed reload) reaps every process it started, and an ASGI
		// worker's lifespan shutdown is not cut by the exit.
		var wg sync.WaitGroup
		for _, w := range ws {
			wg.Go(func() { w.stop(time.Second) })
		}
		wg.Wait()
	}
	return commit, abort, nil
}

// swapIn swaps the generation gen, whose workers ws are ready, in for
// the one serving.
func (p *Pool) swapIn(gen int, ws []*worker) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, w := range ws {
			go w.stop(time.Second)
		}
		return errPoolClosed
	}
	p.gen = gen
	for i, old := range p.workers {
		p.workers[i] = ws[i]
		p.retireLocked(old)
		p.countRestartLocked("reload")
	}
	p.announceLocked()
	return nil
}

// KeepWebSockets makes Close keep open WebSockets until they close or
// WSGrace ends, for a process that handed its sockets to a new binary
// (SIGUSR2) and serves on what it holds. Without it Close closes them at
// once with 1001 (going away); a reload or recycle always keeps them.
func (p *Pool) KeepWebSockets() {
	p.mu.Lock()
	p.keepWS = true
	p.mu.Unlock()
}

// Close stops every worker once its scopes in flight end (up to Grace),
// running the application's lifespan shutdown; it returns when every
// process has been reaped.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.wsNow = !p.keepWS
	if p.wsNow {
		// Workers retired by a reload still keep theirs: a stop ends them.
		for w := range p.leaving {
			go w.goAway()
		}
	}
	close(p.closing)
	for _, w := range p.workers {
		p.retireLocked(w)
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.retired.Wait()
	os.RemoveAll(p.tmp)
	p.releaseFront()
	return nil
}

// watchMemory recycles workers whose resident memory exceeds MaxMemory.
func (p *Pool) watchMemory() {
	defer p.wg.Done()
	pyproc.WatchMemory(p.closing, p.cfg.MaxMemory, func() []*worker {
		p.mu.Lock()
		defer p.mu.Unlock()
		return append([]*worker(nil), p.workers...)
	}, func(w *worker) (int64, error) { return w.proc.RSS() }, func(w *worker) { p.askRecycle(w, "max memory") })
}
