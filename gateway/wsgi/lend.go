package wsgi

import (
	"context"
	"errors"
	"time"

	"github.com/brick-server/brick/web"
)

// Why a request got no worker; the handler answers 503 to each.
var (
	// ErrQueueFull is a request that found every worker busy and the
	// queue of waiting requests at its bound.
	ErrQueueFull = errors.New("wsgi: all workers busy and the queue is full")
	// ErrQueueTimeout is a request that waited QueueTimeout in the
	// queue without a worker coming free.
	ErrQueueTimeout = errors.New("wsgi: all workers stayed busy for the whole queue timeout")
)

// errPoolClosed is returned to requests waiting when the pool closes.
var errPoolClosed = errors.New("wsgi: the worker pool is closed")

// errClientLeft is a request whose client went away while it waited for
// a worker: no application runs for it, and no 503 is logged for it.
var errClientLeft = errors.New("wsgi: the client left while waiting for a worker")

// clientCheckEvery is how often a request waiting for a worker looks
// whether its client is still there.
const clientCheckEvery = 250 * time.Millisecond

// errWaitEnded is a request whose context ended while it waited for a
// worker: the server stopped waiting for the requests in flight.
type errWaitEnded struct{ cause error }

func (e errWaitEnded) Error() string {
	return "wsgi: the request's context ended while it waited for a worker: " + e.cause.Error()
}

func (e errWaitEnded) Unwrap() error { return e.cause }

// acquire returns an idle worker, waiting in the queue while all are busy;
// a request that waited is given up when its client leaves (w tells).
func (p *Pool) acquire(ctx context.Context, w web.ResponseWriter) (*worker, error) {
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
	var err error
	check := time.NewTicker(clientCheckEvery)
	defer check.Stop()
wait:
	for {
		select {
		case wk := <-ch:
			if wk == nil {
				return nil, errPoolClosed
			}
			p.observeWait(time.Since(queued))
			if web.ClientGone(w) {
				p.release(wk)
				return nil, errClientLeft
			}
			return wk, nil
		case <-ctx.Done():
			err = errWaitEnded{context.Cause(ctx)}
			break wait
		case <-timer.C:
			err = ErrQueueTimeout
			break wait
		case <-check.C:
			if web.ClientGone(w) {
				err = errClientLeft
				break wait
			}
		}
	}
	p.mu.Lock()
	for i, c := range p.waiters {
		if c == ch {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, err
		}
	}
	p.mu.Unlock()
	// A worker was handed over while we gave up: pass it on.
	if wk := <-ch; wk != nil {
		p.release(wk)
	} else {
		err = errPoolClosed
	}
	return nil, err
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
