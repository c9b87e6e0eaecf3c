//go:build linux

package server

import "time"

// Dispatch. Ready connections go into a run queue that workers drain. A
// worker that finishes a connection takes the next one from the queue
// itself, so a burst of ready connections costs one goroutine wake-up, not
// one per connection. So that a handler that blocks never holds up the
// queue, a worker that takes a connection while others are waiting first
// wakes one more worker (unless one is already on its way): at most one
// wake-up is outstanding, and there is always a worker headed for a
// non-empty queue.

// dispatch queues a connection that became readable.
func (e *engine) dispatch(pc *pollConn) {
	e.mu.Lock()
	e.queue = append(e.queue, pc)
	e.wakeLocked()
	e.mu.Unlock()
}

// wakeLocked gets a worker headed for the queue when none is: the most
// recently idle one (its stack and buffers are warm), or a new one.
func (e *engine) wakeLocked() {
	if e.spinning {
		return
	}
	e.spinning = true
	if n := len(e.idle); n > 0 {
		w := e.idle[n-1]
		e.idle[n-1] = nil
		e.idle = e.idle[:n-1]
		w.ch <- false
		return
	}
	w := &worker{ch: make(chan bool, 1)}
	go w.run(e)
}

// take takes the next queued connection for a worker; it returns nil when
// the queue is empty and the worker should go idle. woken says whether the
// worker was the one headed for the queue.
func (e *engine) take(woken bool) *pollConn {
	e.mu.Lock()
	defer e.mu.Unlock()
	if woken {
		e.spinning = false
	}
	if e.head == len(e.queue) {
		clear(e.queue)
		e.queue, e.head = e.queue[:0], 0
		return nil
	}
	pc := e.queue[e.head]
	e.queue[e.head] = nil
	e.head++
	if e.head < len(e.queue) {
		e.wakeLocked()
	}
	return pc
}

// worker is a goroutine that serves connections one at a time, with the
// exchange (request view, response writer) it reuses for all of them.
type worker struct {
	ch   chan bool // false: go to the queue; true: exit
	x    exchange
	last int64
}

func (w *worker) run(e *engine) {
	w.x.keepBuffers = true
	woken := true
	for {
		pc := e.take(woken)
		woken = false
		if pc != nil {
			w.x.serve(&pc.conn)
			continue
		}
		w.last = e.srv.clock.Now()
		e.mu.Lock()
		if e.stopped.Load() {
			e.mu.Unlock()
			return
		}
		// A connection queued after next looked but before this worker
		// went idle has woken a worker already (spinning was false).
		e.idle = append(e.idle, w)
		e.mu.Unlock()
		if <-w.ch {
			return
		}
		woken = true
	}
}

// workerIdleTime is how long an idle worker waits before it exits.
const workerIdleTime = 10 * time.Second
