package wsgi

import (
	"errors"
	"time"

	"github.com/brick-server/brick/web"
)

// Pipelining: while every worker is busy, a request may be queued on one
// behind the request it runs (Pool.acquire); these are the rules for when,
// and the queued request's side of the wait.

// maxPipeline bounds the requests a worker holds at once: the one it runs
// and those queued behind it. Queued requests wait for the one before them
// (head-of-line), and a worker that fails before starting them sends them
// on to another worker; the bound keeps both costs small.
const maxPipeline = 4

// maxPipelineSmall bounds the requests with small frames (at most
// smallFrame) in the pool's pipelines together: a worker's pipeline may
// be maxPipelineSmall/workers deep for them, and no less than
// maxPipeline. The worker holds the answers to the requests whole in its
// buffer and sends them together (worker.py, Worker.finish), so a deeper
// pipeline of quick requests means fewer hand-offs of the CPU between
// Brick and the worker, the bulk of the cost per request when they share
// one; with several workers, requests are better spread over them
// (measured: a depth of 16 on each of 4 workers cost a fifth of the
// throughput). At these sizes a whole pipeline stays well within a
// socket buffer.
const (
	maxPipelineSmall = 16
	smallFrame       = 2 << 10
)

// maxQueuedFrame bounds a request frame (environ and inline body) that may
// be queued behind another: a queued frame sits in the worker's socket
// buffer, which must hold a whole pipeline without a writer blocking.
const maxQueuedFrame = 16 << 10

// queueableLocked returns the busy worker with the shortest pipeline
// that can take one more request now, with its sendMu held, or nil. A
// worker streaming a response, leaving service or broken takes none.
// Under p.mu.
func (p *Pool) queueableLocked(c *call) *worker {
	var best *worker
	now := time.Now()
	for _, s := range p.slots {
		if wk := s.w; wk != nil && p.canQueueLocked(wk, c, now) && (best == nil || wk.inflight < best.inflight) {
			best = wk
		}
	}
	if best == nil || !best.sendMu.TryLock() {
		return nil
	}
	return best
}

// canQueueLocked says whether a request may be queued behind wk's: only
// behind quick requests (wk's usual answer takes less than
// pipelineWindow, and the request it runs began less than that ago), so
// that a queued request usually waits a few milliseconds, and a request
// that would wait behind one already slow stays in the pool's queue, where
// the first worker that frees up takes it and the queue's timeout and
// bound apply. A quick application's rare slow request still holds up the
// requests queued behind it (at most three, or fifteen small ones): the
// price of pipelining.
func (p *Pool) canQueueLocked(wk *worker, c *call, now time.Time) bool {
	depth := maxPipeline
	if len(c.frame) <= smallFrame {
		depth = max(maxPipeline, maxPipelineSmall/len(p.slots))
	}
	return p.mayQueueLocked(wk, c, now, depth)
}

// mayQueueLocked is canQueueLocked with the pipeline's depth given.
func (p *Pool) mayQueueLocked(wk *worker, c *call, now time.Time, depth int) bool {
	return c.pipe && wk.inflight > 0 && wk.inflight < depth && !wk.streaming && !wk.broken &&
		wk.usual < p.window && now.Sub(wk.headSince) < p.window &&
		!wk.retiring && !wk.recycleAsked && wk.gen == p.gen && p.live[wk]
}

// pipelineWindow is the time a request may take and still have requests
// queued behind it.
const pipelineWindow = 5 * time.Millisecond

// awaitTurn waits until the requests before c on wk are answered. It
// reports false when wk failed first (c never started), and whether c's
// client left while it waited: the worker was then told to skip it.
func (h *Handler) awaitTurn(w web.ResponseWriter, wk *worker, c *call) (ok, gone bool) {
	select {
	case ok := <-c.turn:
		return ok, false
	default:
	}
	c.timer(&c.check, clientCheckEvery)
	defer c.check.Stop()
	for {
		select {
		case ok := <-c.turn:
			return ok, gone
		case <-c.check.C:
			if !gone && web.ClientGone(w) {
				gone = true
				wk.cancel(c.seq)
			}
			c.check.Reset(clientCheckEvery)
		}
	}
}

// skipped reads and drops the answer to a request whose client left
// while it was queued: the worker skipped it, or answered it before the
// cancel frame came. The access log says 499.
func (h *Handler) skipped(w web.ResponseWriter, r *web.Request, wk *worker) error {
	h.log.Debug("wsgi: the client left while its request was queued on a worker", "request", requestLine(r))
	typ, _, err := wk.frames.readFrame()
	switch {
	case err == nil && typ == FrameHead:
		err = h.drain(wk)
		if errors.As(err, new(appAborted)) {
			err = nil
		}
	case err == nil && typ != FrameAbort: // an abort: skipped
		err = errProtocol(typ)
	}
	if err != nil {
		h.broken(w, r, wk, err)
		return web.ErrClientGone
	}
	h.pool.finished(wk)
	return web.ErrClientGone
}

// saturated reports whether wk's reader should wait for its answer in
// the poller rather than directly (sock.Read): when requests wait for wk
// or the pool, when requests were queued on wk lately, and once in
// probeEvery requests. A direct wait holds the processor, so with
// GOMAXPROCS=1 no other request is read meanwhile: it is the cheapest
// wait for a lone request, and it would keep a saturated worker
// unpipelined, one request at a time, as the next request is read only
// after the answer came. The probe finds the load that pipelining pays
// for; the memory of it (queuedLately) keeps it on.
func (p *Pool) saturated(wk *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters) > 0 || wk.inflight > 1 || time.Since(wk.lastQueued) < queuedLately ||
		wk.served.Load()%probeEvery == 0
}

// Tuning of saturated.
const (
	queuedLately = 10 * time.Millisecond
	probeEvery   = 32
)
