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

// clientCheckAfter is the wait for a worker after which a request looks
// whether its client is still there before its application runs.
const clientCheckAfter = 5 * time.Millisecond

// errWaitEnded is a request whose context ended while it waited for a
// worker: the server stopped waiting for the requests in flight.
type errWaitEnded struct{ cause error }

func (e errWaitEnded) Error() string {
	return "wsgi: the request's context ended while it waited for a worker: " + e.cause.Error()
}

func (e errWaitEnded) Unwrap() error { return e.cause }

// acquire gives c a worker: a busy one it may be packed onto (packLocked:
// the CPUs are all taken by busy workers already); else an idle one; else, when c may be queued
// (c.pipe) and nothing waits before it, a busy one with room in its
// pipeline; else the first that frees up, after waiting in the queue. A
// request that waited is given up when its client leaves (w tells). The
// worker comes with its sendMu held: the caller sends c's frame and then
// calls sent, or gives the worker back with unsend.
func (p *Pool) acquire(ctx context.Context, w web.ResponseWriter, c *call) (*worker, error) {
	c.queued = false
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed
	}
	if len(p.waiters) == 0 {
		if wk := p.packLocked(c); wk != nil {
			p.stats.packed++
			p.grantLocked(wk, c)
			p.observeWaitLocked(0)
			p.mu.Unlock()
			return wk, nil
		}
	}
	if n := len(p.idle); n > 0 {
		wk := p.idle[n-1]
		p.idle = p.idle[:n-1]
		wk.sendMu.Lock()
		p.grantLocked(wk, c)
		p.observeWaitLocked(0)
		p.mu.Unlock()
		return wk, nil
	}
	if len(p.waiters) == 0 {
		if wk := p.queueableLocked(c); wk != nil {
			p.grantLocked(wk, c)
			p.observeWaitLocked(0)
			p.mu.Unlock()
			return wk, nil
		}
	}
	if len(p.waiters) >= p.cfg.QueueSize {
		p.mu.Unlock()
		return nil, ErrQueueFull
	}
	p.waiters = append(p.waiters, c)
	p.mu.Unlock()

	queued := time.Now()
	timer := c.timer(&c.qtimer, p.cfg.QueueTimeout)
	defer timer.Stop()
	var err error
	check := c.timer(&c.check, clientCheckEvery)
	defer check.Stop()
wait:
	for {
		select {
		case wk := <-c.grant:
			if wk == nil {
				return nil, errPoolClosed
			}
			waited := time.Since(queued)
			p.observeWait(waited)
			// A client that left within the last moments is not worth a
			// system call per request: it gets its answer, unread.
			if waited >= clientCheckAfter && web.ClientGone(w) {
				p.unsend(wk, c)
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
			check.Reset(clientCheckEvery)
		}
	}
	p.mu.Lock()
	for i, q := range p.waiters {
		if q == c {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, err
		}
	}
	p.mu.Unlock()
	// A worker was handed over while we gave up: pass it on.
	if wk := <-c.grant; wk != nil {
		p.unsend(wk, c)
	} else {
		err = errPoolClosed
	}
	return nil, err
}

// grantLocked gives c a place on wk, whose sendMu the caller holds: the
// head place on an idle worker, else the end of its queue. Under p.mu.
func (p *Pool) grantLocked(wk *worker, c *call) {
	c.queued = wk.inflight > 0
	wk.inflight++
	if c.queued {
		p.stats.pipelined++
		wk.lastQueued = time.Now()
		wk.turns = append(wk.turns, c)
	} else {
		wk.headSince = time.Now()
	}
}

// sent is called once c's frame went out (or failed to): the next
// request that waits may be queued behind it.
func (p *Pool) sent(wk *worker) {
	p.mu.Lock()
	wk.sendMu.Unlock()
	p.fillLocked(wk)
	p.mu.Unlock()
}

// unsend gives back a place granted to c that it will not use: its
// client left, or it gave up waiting, before its frame was sent.
func (p *Pool) unsend(wk *worker, c *call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.queued {
		for i, q := range wk.turns {
			if q == c {
				wk.turns = append(wk.turns[:i], wk.turns[i+1:]...)
				break
			}
		}
	}
	wk.inflight--
	wk.sendMu.Unlock()
	p.placeLocked(wk)
}

// placeLocked finds work for wk after it gave up a request: the next
// waiting request, or the idle list; a worker leaving service stops once
// it holds no request. Under p.mu.
func (p *Pool) placeLocked(wk *worker) {
	switch {
	case wk.broken:
		// discard killed it; its slot replaces it.
	case wk.inflight > 0:
		p.fillLocked(wk)
	case wk.retiring || p.closed || !p.live[wk]:
		go wk.stop(p.cfg.Grace)
	default:
		p.lendLocked(wk)
	}
}

// lendLocked hands an idle worker to the oldest waiting request, or makes
// it idle. Under p.mu.
func (p *Pool) lendLocked(wk *worker) {
	if len(p.waiters) > 0 {
		c := p.waiters[0]
		p.waiters = p.waiters[1:]
		wk.sendMu.Lock()
		p.grantLocked(wk, c)
		c.grant <- wk // buffered: never blocks
		return
	}
	p.idle = append(p.idle, wk)
}

// fillLocked queues the oldest waiting request behind wk's, when it may
// be and wk's sendMu is free (the request that holds it calls sent, which
// comes back here). Under p.mu.
func (p *Pool) fillLocked(wk *worker) {
	if len(p.waiters) == 0 || !p.canQueueLocked(wk, p.waiters[0], time.Now()) || !wk.sendMu.TryLock() {
		return
	}
	c := p.waiters[0]
	p.waiters = p.waiters[1:]
	p.grantLocked(wk, c)
	c.grant <- wk
}

// finished is called after each response a worker completed: the request
// queued next on it, if any, reads its response now.
func (p *Pool) finished(wk *worker) {
	wk.frames.shrink()
	if n := wk.served.Add(1); wk.limit > 0 && n >= int64(wk.limit) {
		p.askRecycle(wk, "max requests")
	}
	sample := wk.frames.takeSample()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.judgeLocked(wk, sample)
	now := time.Now()
	// An average over the last few answers, so one slow request does not
	// stop the pipelining of a quick application for long.
	wk.usual += (now.Sub(wk.headSince) - wk.usual) / 4
	wk.headSince = now
	wk.inflight--
	wk.streaming = false
	if len(wk.turns) > 0 {
		next := wk.turns[0]
		copy(wk.turns, wk.turns[1:])
		wk.turns[len(wk.turns)-1] = nil
		wk.turns = wk.turns[:len(wk.turns)-1]
		next.turn <- true
	}
	p.placeLocked(wk)
}

// streams marks wk's response in progress as a stream: nothing more is
// queued behind it, as it may last.
func (p *Pool) streams(wk *worker) {
	p.mu.Lock()
	wk.streaming = true
	p.mu.Unlock()
}

// discard takes a broken worker (crashed, timed out, out of protocol) out
// of service and kills it; its slot starts a replacement. The requests
// queued behind the one it failed on never started (a worker starts the
// next request only once it has sent the previous one's end): they are
// told to go to another worker.
func (p *Pool) discard(wk *worker) {
	p.mu.Lock()
	wk.broken = true
	for i, c := range wk.turns {
		c.turn <- false
		wk.turns[i] = nil
	}
	wk.turns = wk.turns[:0]
	p.mu.Unlock()
	wk.kill()
}
