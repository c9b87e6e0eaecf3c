package wsgi

import (
	"context"
	"errors"
	"time"
)

// ErrQueueFull is returned when every worker is busy and the queue of
// waiting requests is at its bound: the handler answers 503.
var ErrQueueFull = errors.New("wsgi: all workers busy and the queue is full")

// errPoolClosed is returned to requests waiting when the pool closes.
var errPoolClosed = errors.New("wsgi: the worker pool is closed")

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
	defer p.mu.Unlock()
	if w.retiring || p.closed || !p.live[w] {
		go w.stop(p.cfg.Grace)
		return
	}
	p.lendLocked(w)
}

// lendLocked hands a free worker to the oldest waiting request, or makes
// it idle. Under p.mu.
func (p *Pool) lendLocked(w *worker) {
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		ch <- w // buffered: never blocks
		return
	}
	p.idle = append(p.idle, w)
}

// finished is called after each response a worker completed.
func (p *Pool) finished(w *worker) {
	w.frames.shrink()
	if n := w.served.Add(1); w.limit > 0 && n >= int64(w.limit) {
		p.askRecycle(w, "max requests")
	}
	p.release(w)
}
