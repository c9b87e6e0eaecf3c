package h2

// Streams run on the connection's workers: goroutines that each take the
// next stream waiting to run, run it, and take the next, until none
// waits; then they end, so an idle connection holds none. A worker that
// takes a stream while others still wait makes sure another worker is on
// its way for them (c.starting), so a handler that blocks holds up no
// other stream: at worst every stream has a goroutine, as with one
// goroutine per stream. When handlers do not block, as most do not, the
// streams a burst of frames opened run one after the other on one worker
// whose stack has grown once, instead of on a new goroutine each: a new
// goroutine's stack starts small and is copied as it grows, which cost
// more than the rest of a small request.

// enqueueLocked queues st to run, under c.mu, and reports whether the
// caller must start a worker (go c.workerFn()) once it has unlocked.
func (c *Conn) enqueueLocked(st *stream) bool {
	c.runq = append(c.runq, st)
	if c.starting > 0 {
		return false
	}
	c.starting++
	return true
}

// worker runs queued streams until none is left.
func (c *Conn) worker() {
	c.mu.Lock()
	c.starting--
	for c.runHead < len(c.runq) {
		st := c.runq[c.runHead]
		c.runq[c.runHead] = nil
		c.runHead++
		if c.runHead == len(c.runq) {
			c.runq, c.runHead = c.runq[:0], 0
		}
		spawn := c.runHead < len(c.runq) && c.starting == 0
		if spawn {
			c.starting++
		}
		c.mu.Unlock()
		if spawn {
			go c.workerFn()
		}
		st.run()
		c.mu.Lock()
	}
	c.mu.Unlock()
}
