package wsgi

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// Pool supervises the Python worker processes and lends them to requests
// one at a time. Each of the Workers slots keeps one live worker: when it
// exits, the slot reaps it (procpool waits for every child) and starts a
// replacement after a backoff; when it must be recycled, the slot starts
// the replacement first and retires the old worker only once the new one
// is ready, so recycling never costs a request.
//
// Generations: every worker runs the code of one generation, which NewPool
// starts as 0 and each successful Reload advances. A generation is swapped
// in whole: its workers all start and become ready before any serves, and
// the old ones are then retired together, so that requests never see two
// versions of the code once Reload has returned. A Reload whose new code
// does not start leaves every slot on the old generation. A recycle (max
// requests, max memory) whose replacement cannot start keeps the old
// worker serving and retries with a growing backoff, never at once.
type Pool struct {
	cfg Config
	// cpus is how many CPUs the server and its workers may use (pyproc.CPUs): with
	// as many workers busy, requests are packed (pack.go). Under mu.
	cpus int
	// window is pipelineWindow; tests of what pipelining does widen it
	// (SetPipelineWindow), so that a loaded machine's slow answers do not
	// keep requests from being queued. Under mu.
	window time.Duration
	log    *slog.Logger
	python string
	script string // worker.py, written to a private directory
	tmp    string
	env    []string

	mu      sync.Mutex
	idle    []*worker // ready for a request, most recently used last
	waiters []*call   // requests waiting for a worker, oldest first
	gen     int       // the generation in service
	closed  bool
	live    map[*worker]bool // every worker in service (idle or busy)

	slots    []*slot
	closing  chan struct{}
	wg       sync.WaitGroup
	reloadMu sync.Mutex // one Reload at a time
	// releaseFront gives back the server's threads' policy
	// (pyproc.ShareOneCPU) when the pool closes.
	releaseFront func()

	stats counters

	// With Preload: the zygote of each generation that has one, at most
	// the one in service and the one a Reload starts.
	zygoteScript string
	zmu          sync.Mutex
	zygotes      map[int]*zygote
	zstarts      map[int]*zygoteStart // zygotes being started, by generation
	zwg          sync.WaitGroup       // zygotes retired, until they have stopped
	testForked   func()               // zygote.testForked, for tests; set before any fork
}

// closeGrace is how long Close lets a worker leave by itself once its
// socket is closed; an idle worker leaves at once.
const closeGrace = 2 * time.Second

// NewPool starts cfg.Workers workers at once and returns when every one
// is ready, so that the pool serves at full strength from its first
// request (a configuration reload swaps it in only then). An application
// that fails to import is reported at once, with its traceback, instead of
// in a restart loop: the first worker that fails stops the others.
func NewPool(cfg Config, log *slog.Logger) (*Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Pool{cfg: cfg, cpus: pyproc.CPUs(), window: pipelineWindow, log: log, closing: make(chan struct{}), live: map[*worker]bool{}, zygotes: map[int]*zygote{}, zstarts: map[int]*zygoteStart{}}
	if err := checkDir(cfg); err != nil {
		return nil, err
	}
	python, err := findPython(cfg)
	if err != nil {
		return nil, err
	}
	p.python = python.Path
	log.Info(python.Why)
	p.env = workerEnv(cfg)
	p.tmp, err = os.MkdirTemp("", "brick-wsgi-")
	if err != nil {
		return nil, err
	}
	p.script = filepath.Join(p.tmp, "worker.py")
	p.zygoteScript = filepath.Join(p.tmp, "zygote.py")
	if err := os.WriteFile(p.script, workerSource, 0o600); err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	if err := os.WriteFile(p.zygoteScript, zygoteSource, 0o600); err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	ws, err := p.startAll(0)
	if err != nil {
		p.dropZygotes(func(int) bool { return false })
		p.zwg.Wait()
		os.RemoveAll(p.tmp)
		return nil, err
	}
	// Once the workers serve: the server's threads share their CPU the
	// way they do (pyproc.ShareOneCPU) until the pool closes.
	if p.releaseFront, err = pyproc.ShareOneCPU(cfg.Scheduling); err != nil {
		log.Warn("cannot put all of the server's threads under the batch scheduling policy beside its workers on one CPU; some keep the one they had", "err", err)
	}
	p.slots = make([]*slot, cfg.Workers)
	p.mu.Lock()
	for i := range p.slots {
		s := &slot{wake: make(chan struct{}, 1)}
		p.slots[i] = s
		p.installLocked(s, ws[i])
	}
	p.mu.Unlock()
	for _, s := range p.slots {
		p.wg.Add(1)
		go p.run(s)
	}
	if cfg.MaxMemory > 0 {
		p.wg.Add(1)
		go p.watchMemory()
	}
	return p, nil
}

// startAll starts one worker of generation gen for every slot, all at
// once, and waits until all are ready. When one fails, the others are
// stopped without waiting out their import, and its error is returned.
func (p *Pool) startAll(gen int) ([]*worker, error) {
	ws := make([]*worker, p.cfg.Workers)
	abort := make(chan struct{})
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for i := range ws {
		wg.Go(func() {
			w, err := p.spawn(gen, abort)
			if err == nil {
				ws[i] = w
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if first == nil {
				first = err
				close(abort)
			}
		})
	}
	wg.Wait()
	if first == nil {
		return ws, nil
	}
	for _, w := range ws {
		if w != nil {
			wg.Go(func() { w.stop(time.Second) })
		}
	}
	wg.Wait()
	return nil, first
}

// Python returns the interpreter the workers run.
func (p *Pool) Python() string { return p.python }

// Reload replaces every worker with one running freshly imported code,
// without losing a request. It starts a whole new generation of workers
// beside the old one and swaps it in once every new worker is ready: from
// then on requests go to the new workers only, and each old worker leaves
// when its request is done. When the new code fails to start, Reload
// returns the error and every old worker keeps serving.
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
	p.mu.Lock()
	gen := p.gen + 1
	p.mu.Unlock()
	ws, err := p.startAll(gen)
	if err != nil {
		// With Preload, a zygote whose import failed never started; one
		// whose workers failed goes: the old generation serves on.
		p.dropZygotes(func(g int) bool { return g != gen })
		p.reloadMu.Unlock()
		return nil, nil, err
	}
	commit = func() error {
		defer p.reloadMu.Unlock()
		return p.install(gen, ws)
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
		p.dropZygotes(func(g int) bool { return g != gen })
	}
	return commit, abort, nil
}

// install swaps the generation gen, whose workers ws are ready, in for
// the one serving.
func (p *Pool) install(gen int, ws []*worker) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		for _, w := range ws {
			go w.stop(time.Second)
		}
		return errPoolClosed
	}
	p.gen = gen
	for i, s := range p.slots {
		p.installLocked(s, ws[i])
		p.countRestartLocked("reload")
	}
	p.mu.Unlock()
	// The old generation's workers leave as their requests end; its
	// zygote has nothing left to fork.
	p.dropZygotes(func(g int) bool { return g == gen })
	for _, s := range p.slots {
		s.poke()
	}
	return nil
}

// Close stops every worker. It is meant to run after the server has
// drained its requests (Server.Shutdown), so most workers are idle:
// closing their sockets makes them leave their loop, and one that has not
// left after closeGrace is killed. A request still waiting for a worker is
// answered 503. A worker still inside a request (it outlived the shutdown
// timeout) may finish it for up to Grace, within its Timeout, and is then
// killed: an application is not cut off in the middle of its work unless
// it overstays. Every process is reaped before Close returns.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	waiters := p.waiters
	p.waiters = nil
	idle := p.idle
	p.idle = nil
	var busy []*worker
	for w := range p.live {
		if !slices.Contains(idle, w) {
			busy = append(busy, w)
		}
	}
	p.mu.Unlock()
	close(p.closing)
	for _, c := range waiters {
		c.grant <- nil
	}
	if len(busy) > 0 {
		p.log.Info("wsgi: shutting down: waiting for busy workers to finish their request", "busy", len(busy), "grace", p.cfg.Grace.String())
	}
	var wg sync.WaitGroup
	for _, w := range idle {
		wg.Go(func() {
			w.stop(closeGrace)
			<-w.proc.Done()
		})
	}
	for _, w := range busy {
		// Its handler gives it back when the request ends (release
		// stops it then), or kills it when the request times out.
		wg.Go(func() {
			t := time.NewTimer(p.cfg.Grace)
			defer t.Stop()
			select {
			case <-w.proc.Done():
			case <-t.C:
				p.log.Warn("wsgi: shutting down: worker still busy after the grace period; killing it", "pid", w.proc.Pid(), "grace", p.cfg.Grace.String())
				w.kill()
				<-w.proc.Done()
			}
		})
	}
	wg.Wait()
	p.wg.Wait()
	p.zmu.Lock()
	zs := p.zygotes
	p.zygotes = map[int]*zygote{}
	p.zmu.Unlock()
	for _, z := range zs {
		z.stop()
	}
	p.zwg.Wait()
	os.RemoveAll(p.tmp)
	p.releaseFront()
	return nil
}

// stopping reports whether Close has begun: a worker that fails now was
// stopped, and is not replaced.
func (p *Pool) stopping() bool {
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}
