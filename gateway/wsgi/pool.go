package wsgi

import (
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Pool supervises the Python worker processes and lends them to requests
// one at a time. Each of the Workers slots keeps one live worker: when it
// exits, the slot reaps it (procpool waits for every child) and starts a
// replacement after a backoff; when it must be recycled, the slot starts
// the replacement first and retires the old worker only once the new one
// is ready, so recycling never costs a request.
type Pool struct {
	cfg    Config
	log    *slog.Logger
	python string
	script string // worker.py, written to a private directory
	tmp    string
	env    []string

	mu      sync.Mutex
	idle    []*worker      // ready for a request, most recently used last
	waiters []chan *worker // requests waiting for a worker, oldest first
	gen     int
	closed  bool
	live    map[*worker]bool // every worker in service (idle or busy)

	slots   []*slot
	closing chan struct{}
	wg      sync.WaitGroup

	stats counters

	rngMu sync.Mutex
	rng   *rand.Rand
}

// closeGrace is how long Close lets a worker leave by itself once its
// socket is closed; an idle worker leaves at once.
const closeGrace = 2 * time.Second

// NewPool starts cfg.Workers workers and waits for the first to be ready,
// so that an application that fails to import is reported at once, with
// its traceback, instead of in a restart loop.
func NewPool(cfg Config, log *slog.Logger) (*Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Pool{cfg: cfg, log: log, closing: make(chan struct{}), live: map[*worker]bool{},
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))}
	python, err := findPython(cfg)
	if err != nil {
		return nil, err
	}
	p.python = python
	p.env = workerEnv(cfg)
	p.tmp, err = os.MkdirTemp("", "brick-wsgi-")
	if err != nil {
		return nil, err
	}
	p.script = filepath.Join(p.tmp, "worker.py")
	if err := os.WriteFile(p.script, workerSource, 0o600); err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	first, err := p.spawn(0)
	if err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	p.slots = make([]*slot, cfg.Workers)
	for i := range p.slots {
		s := &slot{recycle: make(chan *worker, 1)}
		p.slots[i] = s
		var w *worker
		if i == 0 {
			w = first
			w.slot = s
			p.enlist(w)
		}
		p.wg.Add(1)
		go p.run(s, w)
	}
	if cfg.MaxMemory > 0 {
		p.wg.Add(1)
		go p.watchMemory()
	}
	return p, nil
}

// Python returns the interpreter the workers run.
func (p *Pool) Python() string { return p.python }

func (p *Pool) rand(n int) int {
	p.rngMu.Lock()
	defer p.rngMu.Unlock()
	return p.rng.IntN(n)
}

// Reload replaces every worker with one running freshly imported code,
// without losing a request: each slot starts its new worker, and the old
// one leaves once the new one is ready and its request is done. When the
// new code fails to import, the old workers keep serving and Reload
// returns the error.
func (p *Pool) Reload() error {
	p.mu.Lock()
	p.gen++
	gen := p.gen
	p.mu.Unlock()
	probe, err := p.spawn(gen)
	if err != nil {
		p.mu.Lock()
		p.gen--
		p.mu.Unlock()
		return err
	}
	probe.stop(time.Second)
	p.mu.Lock()
	var old []*worker
	for w := range p.live {
		if w.gen < gen {
			old = append(old, w)
		}
	}
	p.mu.Unlock()
	for _, w := range old {
		p.askRecycleGen(w)
	}
	return nil
}

// askRecycleGen is askRecycle for a reload, without the log line.
func (p *Pool) askRecycleGen(w *worker) {
	if !p.markRecycle(w) {
		return
	}
	p.countRestart("reload")
	p.sendRecycle(w)
}

// Close stops every worker. It is meant to run after the server has
// drained its requests (Server.Shutdown), so the workers are idle: closing
// their sockets makes them leave their loop. A worker still inside a
// request at this point (its request outlived the shutdown timeout) is cut
// off: it gets SIGTERM after a short grace, then SIGKILL. Every process is
// reaped before Close returns.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	waiters := p.waiters
	p.waiters = nil
	p.idle = nil
	live := make([]*worker, 0, len(p.live))
	for w := range p.live {
		live = append(live, w)
	}
	p.mu.Unlock()
	close(p.closing)
	for _, ch := range waiters {
		ch <- nil
	}
	var wg sync.WaitGroup
	for _, w := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.stop(closeGrace)
			<-w.proc.Done()
		}()
	}
	wg.Wait()
	p.wg.Wait()
	os.RemoveAll(p.tmp)
	return nil
}
