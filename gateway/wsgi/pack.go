package wsgi

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

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
// Only a worker that does not sleep inside its requests is packed onto: a
// request that waits for a database or a network call leaves the CPU to
// others, and one queued behind it would wait for that too, where an idle
// worker would have served it meanwhile. The pool tells the two apart from
// the kernel's count of the times a worker was scheduled in
// (/proc/PID/schedstat), per request served: a worker that serves several
// requests per run does not sleep inside them; one that runs at least
// once per request may (or is lightly loaded, where packing gains
// nothing). Where that count is not available, nothing is packed.

// packDepth bounds the requests a packed worker holds at once: the
// worker's hold of finished answers (worker.py, _HOLD_MAX) takes as many.
const packDepth = maxPipelineSmall

// sampleEvery is how many requests a worker serves between two readings
// of its scheduling count; sleepyRuns of sampleEvery runs (three in
// four requests, or more) mark it as sleeping inside its requests.
const (
	sampleEvery = 64
	sleepyRuns  = sampleEvery * 3 / 4
)

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

// sample reads wk's scheduling count once every sampleEvery requests
// (n is the number served), and returns how many times wk was scheduled
// in since the last reading. Only the goroutine reading wk's answers
// calls it (finished), so its fields need no lock.
func (wk *worker) sample(n int64) (runs uint64, ok bool) {
	if n%sampleEvery != 0 || wk.noSchedstat {
		return 0, false
	}
	now, err := schedRuns(wk.proc.Pid())
	if err != nil {
		wk.noSchedstat = true
		return 0, false
	}
	last := wk.lastRuns
	wk.lastRuns = now
	if last == 0 || now < last {
		return 0, false
	}
	return now - last, true
}

// judgeLocked records whether wk sleeps inside its requests, from the
// times it was scheduled in over its last sampleEvery requests. Under
// p.mu.
func (p *Pool) judgeLocked(wk *worker, runs uint64) {
	wk.sleeps = runs >= sleepyRuns
}

// schedRuns returns the number of times process pid was scheduled in:
// the third field of /proc/PID/schedstat (run time, wait time, runs).
func schedRuns(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, os.ErrInvalid
	}
	return strconv.ParseUint(string(f[2]), 10, 64)
}
