package wsgi

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/brick-server/brick/internal/procpool"
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

// ErrQueueFull is returned when every worker is busy and the queue of
// waiting requests is at its bound: the handler answers 503.
var ErrQueueFull = errors.New("wsgi: all workers busy and the queue is full")

// errPoolClosed is returned to requests waiting when the pool closes.
var errPoolClosed = errors.New("wsgi: the worker pool is closed")

// slot owns one worker position.
type slot struct {
	recycle chan *worker // asks for a replacement of this worker
}

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

// run keeps the slot's worker alive. w is its first worker, or nil.
func (p *Pool) run(s *slot, w *worker) {
	defer p.wg.Done()
	backoff := procpool.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Stable: 10 * time.Second}
	for {
		for w == nil {
			p.mu.Lock()
			gen := p.gen
			p.mu.Unlock()
			nw, err := p.spawn(gen)
			if err == nil {
				w = nw
				w.slot = s
				p.enlist(w)
				break
			}
			if errors.Is(err, errPoolClosed) {
				return
			}
			p.log.Error("wsgi worker failed to start; retrying", "err", err)
			select {
			case <-time.After(backoff.Next(0)):
			case <-p.closing:
				return
			}
		}
		// A worker started before a Reload runs the old code: replace it.
		p.checkGen(w)
		select {
		case <-w.proc.Done():
			p.delist(w)
			select {
			case <-p.closing:
				return // stopped by Close, not a failure to report
			default:
			}
			if !w.retiring {
				reason := "crash"
				if w.timedOut.Load() {
					reason = "timeout"
				}
				p.countRestart(reason)
				p.log.Warn("wsgi worker exited; starting a replacement", "pid", w.proc.Pid(), "exit", w.proc.Exit(), "served", w.served.Load())
				select {
				case <-time.After(backoff.Next(w.proc.Uptime())):
				case <-p.closing:
					return
				}
			}
			w = nil
		case old := <-s.recycle:
			if old != w {
				continue // a request for a worker that already left
			}
			p.mu.Lock()
			gen := p.gen
			p.mu.Unlock()
			nw, err := p.spawn(gen)
			if errors.Is(err, errPoolClosed) {
				return
			}
			if err != nil {
				// The old worker keeps serving: a reload whose new code
				// does not import must not take the site down.
				p.log.Error("wsgi: replacement worker failed to start; the old one keeps serving", "err", err)
				p.mu.Lock()
				old.recycleAsked = false
				p.mu.Unlock()
				continue
			}
			nw.slot = s
			p.enlist(nw)
			p.retire(old)
			go func() {
				<-old.proc.Done()
				p.delist(old)
			}()
			w = nw
		case <-p.closing:
			return
		}
	}
}

// checkGen recycles a worker started for a generation a Reload has since
// replaced: it began before the reload and so runs the old code.
func (p *Pool) checkGen(w *worker) {
	p.mu.Lock()
	stale := w.gen < p.gen && !w.recycleAsked && !w.retiring && !p.closed
	if stale {
		w.recycleAsked = true
	}
	p.mu.Unlock()
	if stale {
		// The slot's own goroutine calls this: never block on its channel.
		select {
		case w.slot.recycle <- w:
		default:
			// A stale request fills it; the slot will see this worker's
			// generation next time round.
			p.mu.Lock()
			w.recycleAsked = false
			p.mu.Unlock()
		}
	}
}

// enlist puts a ready worker into service.
func (p *Pool) enlist(w *worker) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		w.stop(time.Second)
		return
	}
	p.live[w] = true
	p.mu.Unlock()
	p.release(w)
}

// delist takes a dead or retired worker out of service.
func (p *Pool) delist(w *worker) {
	p.mu.Lock()
	delete(p.live, w)
	for i, iw := range p.idle {
		if iw == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	w.conn.Close()
}

// retire marks w to leave service: at once if idle, else when its
// request ends.
func (p *Pool) retire(w *worker) {
	p.mu.Lock()
	w.retiring = true
	for i, iw := range p.idle {
		if iw == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			p.mu.Unlock()
			go w.stop(p.cfg.Grace)
			return
		}
	}
	p.mu.Unlock()
}

// askRecycle asks w's slot for a replacement, once.
func (p *Pool) askRecycle(w *worker, why string) {
	if !p.markRecycle(w) {
		return
	}
	p.log.Info("wsgi worker recycling", "pid", w.proc.Pid(), "why", why, "served", w.served.Load())
	p.countRestart(strings.ReplaceAll(why, " ", "_"))
	// Not on the request's time: the slot may be busy starting a worker.
	go p.sendRecycle(w)
}

// markRecycle notes that w's replacement is asked for; it reports false
// when it already was, or w is leaving anyway.
func (p *Pool) markRecycle(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.recycleAsked || w.retiring || p.closed {
		return false
	}
	w.recycleAsked = true
	return true
}

// sendRecycle hands w to its slot for replacement.
func (p *Pool) sendRecycle(w *worker) {
	select {
	case w.slot.recycle <- w:
	case <-p.closing:
	}
}

// acquire returns an idle worker, waiting in the queue while all are busy.
func (p *Pool) acquire(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed
	}
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.observeWaitLocked(0)
		p.mu.Unlock()
		return w, nil
	}
	if len(p.waiters) >= p.cfg.QueueSize {
		p.mu.Unlock()
		return nil, ErrQueueFull
	}
	ch := make(chan *worker, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()

	queued := time.Now()
	timer := time.NewTimer(p.cfg.QueueTimeout)
	defer timer.Stop()
	select {
	case w := <-ch:
		if w == nil {
			return nil, errPoolClosed
		}
		p.observeWait(time.Since(queued))
		return w, nil
	case <-ctx.Done():
	case <-timer.C:
	}
	p.mu.Lock()
	for i, c := range p.waiters {
		if c == ch {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, ErrQueueFull
		}
	}
	p.mu.Unlock()
	// A worker was handed over while we gave up: pass it on.
	if w := <-ch; w != nil {
		p.release(w)
	}
	return nil, ErrQueueFull
}

// release returns a worker after a complete response.
func (p *Pool) release(w *worker) {
	p.mu.Lock()
	if w.retiring || p.closed || !p.live[w] {
		p.mu.Unlock()
		go w.stop(p.cfg.Grace)
		return
	}
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- w
		return
	}
	p.idle = append(p.idle, w)
	p.mu.Unlock()
}

// discard takes a broken worker (crashed, timed out, out of protocol) out
// of service and kills it; its slot starts a replacement.
func (p *Pool) discard(w *worker) {
	w.kill()
}

// finished is called after each response a worker completed.
func (p *Pool) finished(w *worker) {
	if n := w.served.Add(1); w.limit > 0 && n >= int64(w.limit) {
		p.askRecycle(w, "max requests")
	}
	p.release(w)
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

// watchMemory recycles workers whose resident memory passes MaxMemory.
func (p *Pool) watchMemory() {
	defer p.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.closing:
			return
		case <-t.C:
		}
		p.mu.Lock()
		ws := make([]*worker, 0, len(p.live))
		for w := range p.live {
			ws = append(ws, w)
		}
		p.mu.Unlock()
		for _, w := range ws {
			if rss, err := w.proc.RSS(); err == nil && rss > p.cfg.MaxMemory {
				p.askRecycle(w, "max memory")
			}
		}
	}
}

// PoolStats is a snapshot of a pool for metrics.
type PoolStats struct {
	Busy, Idle int
	// Restarts counts workers replaced, by reason: "crash", "timeout",
	// "max_requests", "max_memory", "reload".
	Restarts map[string]uint64
	Timeouts uint64
	// Workers are the live workers' pids and resident memory in bytes.
	Workers []WorkerStats
	// QueueLength is the number of requests waiting for a worker.
	QueueLength int
	// QueueWait counts requests by how long they waited for a worker:
	// QueueWait[i] is the number that waited at most QueueWaitBounds[i]
	// (cumulative); QueueWaitCount and QueueWaitSum cover all of them.
	QueueWait      []uint64
	QueueWaitCount uint64
	QueueWaitSum   float64
}

// WorkerStats describes one live worker.
type WorkerStats struct {
	PID    int
	Memory int64
}

// QueueWaitBounds are the upper bounds, in seconds, of PoolStats.QueueWait.
var QueueWaitBounds = []float64{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30}

// counters are the pool's cumulative statistics, under Pool.mu.
type counters struct {
	restarts  map[string]uint64
	timeouts  uint64
	waits     []uint64
	waitCount uint64
	waitSum   float64
}

func (p *Pool) countRestart(reason string) {
	p.mu.Lock()
	if p.stats.restarts == nil {
		p.stats.restarts = map[string]uint64{}
	}
	p.stats.restarts[reason]++
	if reason == "timeout" {
		p.stats.timeouts++
	}
	p.mu.Unlock()
}

func (p *Pool) observeWait(d time.Duration) {
	p.mu.Lock()
	p.observeWaitLocked(d)
	p.mu.Unlock()
}

func (p *Pool) observeWaitLocked(d time.Duration) {
	sec := d.Seconds()
	if p.stats.waits == nil {
		p.stats.waits = make([]uint64, len(QueueWaitBounds))
	}
	for i, b := range QueueWaitBounds {
		if sec <= b {
			p.stats.waits[i]++
		}
	}
	p.stats.waitCount++
	p.stats.waitSum += sec
}

// Snapshot returns the pool's statistics.
func (p *Pool) Snapshot() PoolStats {
	p.mu.Lock()
	st := PoolStats{Idle: len(p.idle), Busy: len(p.live) - len(p.idle), QueueLength: len(p.waiters),
		Restarts: map[string]uint64{}, Timeouts: p.stats.timeouts, QueueWaitCount: p.stats.waitCount, QueueWaitSum: p.stats.waitSum}
	for k, v := range p.stats.restarts {
		st.Restarts[k] = v
	}
	st.QueueWait = append(make([]uint64, 0, len(QueueWaitBounds)), p.stats.waits...)
	for len(st.QueueWait) < len(QueueWaitBounds) {
		st.QueueWait = append(st.QueueWait, 0)
	}
	ws := make([]*worker, 0, len(p.live))
	for w := range p.live {
		ws = append(ws, w)
	}
	p.mu.Unlock()
	for _, w := range ws {
		rss, _ := w.proc.RSS()
		st.Workers = append(st.Workers, WorkerStats{PID: w.proc.Pid(), Memory: rss})
	}
	return st
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
