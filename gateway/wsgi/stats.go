package wsgi

import (
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// watchMemory recycles workers whose resident memory passes MaxMemory.
func (p *Pool) watchMemory() {
	defer p.wg.Done()
	pyproc.WatchMemory(p.closing, p.cfg.MaxMemory, func() []*worker {
		p.mu.Lock()
		defer p.mu.Unlock()
		ws := make([]*worker, 0, len(p.live))
		for w := range p.live {
			ws = append(ws, w)
		}
		return ws
	}, func(w *worker) (int64, error) { return w.proc.RSS() }, func(w *worker) { p.askRecycle(w, "max memory") })
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
	// Pipelined counts the requests queued on a busy worker, behind the
	// request it ran, rather than in the pool's queue; Packed counts
	// those of them packed onto a worker while another was idle or could
	// have been (pack.go).
	Pipelined uint64
	Packed    uint64
}

// WorkerStats describes one live worker.
type WorkerStats struct {
	PID    int
	Memory int64
}

// QueueWaitBounds are the upper bounds, in seconds, of PoolStats.QueueWait:
// the ASGI gateway's too.
var QueueWaitBounds = pyproc.QueueWaitBounds

// counters are the pool's cumulative statistics, under Pool.mu.
type counters struct {
	restarts  map[string]uint64
	timeouts  uint64
	waits     []uint64
	waitCount uint64
	waitSum   float64
	pipelined uint64
	packed    uint64
}

func (p *Pool) countRestart(reason string) {
	p.mu.Lock()
	p.countRestartLocked(reason)
	p.mu.Unlock()
}

func (p *Pool) countRestartLocked(reason string) {
	if p.stats.restarts == nil {
		p.stats.restarts = map[string]uint64{}
	}
	p.stats.restarts[reason]++
	if reason == "timeout" {
		p.stats.timeouts++
	}
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
		Restarts: map[string]uint64{}, Timeouts: p.stats.timeouts, QueueWaitCount: p.stats.waitCount, QueueWaitSum: p.stats.waitSum,
		Pipelined: p.stats.pipelined, Packed: p.stats.packed}
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
