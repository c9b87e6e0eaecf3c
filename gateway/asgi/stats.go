package asgi

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// PoolStats is a snapshot of a pool for metrics. The fields the WSGI
// gateway's PoolStats also has mean the same; a busy ASGI worker is one
// with at least one scope in flight.
type PoolStats struct {
	// Busy and Idle count the workers in service with scopes in flight
	// and without; Retiring, those out of service finishing theirs.
	Busy, Idle, Retiring int
	// Restarts counts workers replaced, by reason: "crash", "timeout"
	// (the event loop's heartbeat went unanswered past the timeout),
	// "max_requests", "max_memory", "reload".
	Restarts map[string]uint64
	// Timeouts counts requests answered 504 because the application had
	// not started its response (or accepted its WebSocket) in time.
	Timeouts uint64
	// Workers are the live worker processes, retiring ones included.
	Workers []WorkerStats
	// WebSockets counts the open WebSockets on every worker.
	WebSockets int
	// QueueLength is the number of requests waiting for a live worker
	// (while the only ones are restarting).
	QueueLength int
	// QueueWait counts requests by how long they waited for a worker:
	// QueueWait[i] is the number that waited at most
	// pyproc.QueueWaitBounds[i] (cumulative); QueueWaitCount and
	// QueueWaitSum cover all of them.
	QueueWait      []uint64
	QueueWaitCount uint64
	QueueWaitSum   float64
}

// WorkerStats describes one live worker.
type WorkerStats struct {
	PID    int
	Memory int64 // resident set size in bytes
	// Streams are its scopes in flight, WebSockets the open ones among
	// them.
	Streams, WebSockets int
	// Retiring: out of service, finishing its scopes.
	Retiring bool
}

// counters are the pool's cumulative statistics: restarts under Pool.mu,
// the others atomic, since every request touches them.
type counters struct {
	restarts map[string]uint64
	timeouts atomic.Uint64
	queued   atomic.Int64
	waits    pyproc.WaitHistogram
}

// countRestartLocked counts a worker replaced for reason. Under p.mu.
func (p *Pool) countRestartLocked(reason string) {
	if p.stats.restarts == nil {
		p.stats.restarts = map[string]uint64{}
	}
	p.stats.restarts[reason]++
}

func (p *Pool) countRestart(reason string) {
	p.mu.Lock()
	p.countRestartLocked(reason)
	p.mu.Unlock()
}

// restartReason is the metrics label for a recycle's why ("max memory").
func restartReason(why string) string { return strings.ReplaceAll(why, " ", "_") }

// waited counts a request that found a worker after waiting since queued
// (zero: it did not wait).
func (p *Pool) waited(queued time.Time) {
	var d time.Duration
	if !queued.IsZero() {
		d = time.Since(queued)
	}
	p.stats.waits.Observe(d)
}

// Snapshot returns the pool's statistics.
func (p *Pool) Snapshot() PoolStats {
	p.mu.Lock()
	st := PoolStats{Restarts: make(map[string]uint64, len(p.stats.restarts))}
	for k, v := range p.stats.restarts {
		st.Restarts[k] = v
	}
	inService := append([]*worker(nil), p.workers...)
	leaving := make(map[*worker]bool, len(p.leaving))
	for w := range p.leaving {
		leaving[w] = true
	}
	p.mu.Unlock()
	st.Timeouts = p.stats.timeouts.Load()
	st.QueueLength = int(p.stats.queued.Load())
	st.QueueWait, st.QueueWaitCount, st.QueueWaitSum = p.stats.waits.Snapshot()
	add := func(w *worker, retiring bool) {
		streams, ws, dead := w.census()
		if dead {
			return // its process is gone or going; a replacement comes
		}
		switch {
		case retiring:
			st.Retiring++
		case streams > 0:
			st.Busy++
		default:
			st.Idle++
		}
		st.WebSockets += ws
		rss, _ := w.proc.RSS()
		st.Workers = append(st.Workers, WorkerStats{PID: w.proc.Pid(), Memory: rss, Streams: streams, WebSockets: ws, Retiring: retiring})
	}
	for _, w := range inService {
		if !leaving[w] {
			add(w, false)
		}
	}
	for w := range leaving {
		add(w, true)
	}
	return st
}

// census counts w's scopes in flight and its open WebSockets, and says
// whether its connection has ended.
func (w *worker) census() (streams, webSockets int, dead bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.streams {
		s.mu.Lock()
		if s.ws != nil && s.ws.accepted {
			webSockets++
		}
		s.mu.Unlock()
	}
	return len(w.streams), webSockets, w.dead
}
