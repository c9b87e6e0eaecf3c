package wsgi

import "time"

// Packing: when the CPUs the server may use are all taken by busy
// workers already, a request goes behind a quick busy worker's rather than
// to an idle worker.
//
// Waking another worker buys parallelism only when there is a CPU for it
// to run on. With every CPU taken, the woken worker would wait for one,
// then take it from the others: each hand-off is a context switch and a
// cache refilled, which on a virtual machine costs tens of microseconds,
// as much as a bare application's whole request. One worker that finds
// its next requests already buffered serves them in one run instead
// (worker.py holds the answers and sends them together). Measured with
// four workers on one CPU: workers woke once per 3.5 requests spread, once
// per 16 packed, and served a bare hello in 10 µs of CPU instead of 17.
//
// Only a worker whose requests do not sleep is packed onto: a request
// that waits for a database or a network call leaves the CPU to others,
// and one queued behind it would wait for that too, where an idle worker
// would have served it meanwhile. The worker says which: once every 16
// requests (worker.py, _SAMPLE_EVERY) it counts the voluntary context
// switches of its thread (getrusage) while the application runs, and its
// end frame says whether there were any. One blocked sample among the last four marks
// it as sleeping; so does having none yet.

// packDepth bounds the requests a packed worker holds at once: the
// worker's hold of finished answers (worker.py, _HOLD_MAX) takes as many.
const packDepth = maxPipelineSmall

// sampleHistory keeps the last four samples of a worker, a bit each (set:
// blocked); a new worker starts as if all four were.
const sampleHistory = 0xf

// packLocked returns the busy worker a request may be packed onto, with
// its sendMu held, or nil: the fullest quick worker with room, when the
// workers running on a CPU (onCPULocked) are at least as many as the
// CPUs. While a worker is idle, only a worker whose request began within
// about its usual time (packAgeLocked) is packed onto: one that has run
// longer may be in a rare slow request (a remote call), and a request
// queued behind it cannot move to the idle worker. Under p.mu.
func (p *Pool) packLocked(c *call) *worker {
	if !c.pipe || len(c.frame) > smallFrame || len(p.slots) <= p.cpus {
		return nil
	}
	now := time.Now()
	busy := 0
	for _, s := range p.slots {
		if s.w != nil && p.onCPULocked(s.w, now) {
			busy++
		}
	}
	if busy < p.cpus {
		return nil
	}
	idle := len(p.idle) > 0
	var best *worker
	for _, s := range p.slots {
		wk := s.w
		if wk == nil || wk.sleeps || (best != nil && wk.inflight <= best.inflight) ||
			(idle && now.Sub(wk.headSince) >= packAge(wk.usual, p.window)) {
			continue
		}
		if p.mayQueueLocked(wk, c, now, packDepth) {
			best = wk
		}
	}
	if best == nil || !best.sendMu.TryLock() {
		return nil
	}
	return best
}

// onCPULocked says whether wk counts as running on a CPU: it has a
// request that began within the pipeline window, is not a stream, and its
// requests do not sleep. A worker waiting in a long request, or sleeping
// in its requests, leaves its CPU to others. Under p.mu.
func (p *Pool) onCPULocked(wk *worker, now time.Time) bool {
	return wk.inflight > 0 && !wk.streaming && !wk.sleeps && now.Sub(wk.headSince) < p.window
}

// packAge is how long a worker's request may have run, with a worker
// idle, and still have a request packed behind it: twice the worker's
// usual answer time, and no less than a tenth of the pipeline window
// (500 µs), since a packed worker's answers are read in bursts and their
// times are short. The floor is short beside the window, so that a rare
// slow request is seldom caught young, and long beside a quick
// application's request (a Flask hello takes about 70 µs of CPU).
func packAge(usual, window time.Duration) time.Duration {
	return max(2*usual, window/10)
}

// judgeLocked records a worker's sample (sampleBlocked or sampleRan;
// 0: the response was not sampled). Under p.mu.
func (p *Pool) judgeLocked(wk *worker, sample byte) {
	if sample == 0 {
		return
	}
	wk.samples <<= 1
	if sample != sampleRan {
		wk.samples |= 1
	}
	wk.samples &= sampleHistory
	wk.sleeps = wk.samples != 0
}
