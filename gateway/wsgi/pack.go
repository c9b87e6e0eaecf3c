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
// busy workers are at least as many as the CPUs. Under p.mu.
func (p *Pool) packLocked(c *call) *worker {
	if !c.pipe || len(c.frame) > smallFrame || len(p.slots) <= p.cpus {
		return nil
	}
	busy := 0
	for _, s := range p.slots {
		if s.w != nil && s.w.inflight > 0 {
			busy++
		}
	}
	if busy < p.cpus {
		return nil
	}
	var best *worker
	now := time.Now()
	for _, s := range p.slots {
		wk := s.w
		if wk == nil || wk.sleeps || (best != nil && wk.inflight <= best.inflight) {
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
