package h2

import (
	"errors"
	"time"

	"golang.org/x/net/http2"
)

// An idle connection is one without streams. Its read loop waits for the
// next frame for releaseAfter, so a client that sends its requests one
// after the other keeps its goroutine, its kept streams and its buffers;
// past that, the connection gives back what only a busy one needs
// (release) and, when the server watches its socket (watcher, the epoll
// engine's web.WatchedConn), parks: the read loop's goroutine returns and
// the server calls wake when the socket turns readable, which runs the
// read loop again on the server's goroutine. A parked connection holds
// the Conn, its HPACK tables and a timer for the idle timeout, no
// goroutine and no buffer. Without a watcher (the goroutine-per-connection
// model, other systems) the read loop goes on waiting for the rest of the
// idle timeout.
//
// Whoever takes a parked connection back (park, under mu) owns its read
// side from then on: wake runs the read loop, the idle timer sends GOAWAY
// and finishes it, close finishes it. Exactly one of them wins. While the
// read loop arms the watch (parking), the connection is still the read
// loop's: a callback that comes meanwhile only tells it to read on, and
// close leaves the finishing to it, so nothing touches the connection's
// read side while Watch looks at it (crypto/tls's buffered input).

// watcher is a connection the server watches for readability: Watch
// calls fn once, on a goroutine of its own, when the connection has
// bytes to read (crypto/tls's buffered ones included), the peer shut it
// down, or the server stopped watching. web.WatchedConn is one.
type watcher interface {
	Watch(fn func()) error
}

// releaseAfter is how long a connection waits idle before it gives back
// what only a busy one needs, and parks when it can.
const releaseAfter = 100 * time.Millisecond

// keepReadBuf is the largest frame payload the read Framer may have
// buffered for an idle connection to keep it: the Framer keeps a buffer
// as large as the largest frame it read (a DATA frame: up to 16 KiB) and
// cannot be told to drop it, so past this size release replaces it.
// WINDOW_UPDATE, PING, RST_STREAM, PRIORITY and a few SETTINGS fit.
const keepReadBuf = 64

// errIdle is connReader's report that a read timed out between frames
// (no byte of the next frame read), for the read loop to decide (onIdle).
var errIdle = errors.New("h2: idle")

// idleStep is what the read loop does after an idle read timed out.
type idleStep uint8

const (
	idleRead   idleStep = iota // read again: the deadline is set
	idleRearm                  // read again with setReadDeadline
	idleParked                 // the connection parked: the read loop returns
	idleGoAway                 // the idle timeout passed: GOAWAY and finish
	idleEnd                    // the connection is closing: finish
)

// setReadDeadline bounds the next read: the idle timeout without streams
// (or the header timeout before the client's SETTINGS), none with some,
// whose handlers have timeouts of their own. An idle wait starts with a
// short deadline (releaseAfter): when it passes without a frame, onIdle
// (between frames) or idleWait (within one) releases memory and sets the
// rest, or parks the connection.
func (c *Conn) setReadDeadline() {
	// Under mu, so that it cannot undo the deadline close sets.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	idle := len(c.streams) == 0
	c.br.direct = idle
	var d time.Duration
	switch {
	case !c.gotFirst:
		d = orDefault(c.cfg.ReadHeader, 10*time.Second)
	case idle:
		d = orDefault(c.cfg.Idle, 75*time.Second)
	}
	if d == 0 {
		// Frames of busy streams follow each other: the deadline is
		// cleared once, not for each.
		if !c.noDeadline {
			c.nc.SetReadDeadline(time.Time{})
			c.noDeadline = true
		}
		return
	}
	c.armIdleLocked(d, c.gotFirst)
}

// armIdleLocked starts an idle wait of d: first releaseAfter (when
// release is set), then the rest.
func (c *Conn) armIdleLocked(d time.Duration, release bool) {
	c.noDeadline = false
	now := time.Now()
	c.idleUntil = now.Add(d)
	if release && d > releaseAfter {
		c.nc.SetReadDeadline(now.Add(releaseAfter))
		return
	}
	c.nc.SetReadDeadline(c.idleUntil)
}

// onIdle runs on the read loop when a read timed out between frames. Past
// the idle timeout the connection goes away; before it, it releases what
// only a busy connection needs and parks, or, without a watcher, waits
// for the rest of the idle timeout.
func (c *Conn) onIdle() idleStep {
	c.mu.Lock()
	switch {
	case c.closing:
		c.mu.Unlock()
		return idleEnd
	case len(c.streams) > 0:
		c.mu.Unlock()
		return idleRearm
	case !time.Now().Before(c.idleUntil):
		c.mu.Unlock()
		return idleGoAway
	}
	c.releaseLocked(true)
	if c.watch == nil || c.hb.active {
		c.nc.SetReadDeadline(c.idleUntil)
		c.mu.Unlock()
		c.releaseWrites()
		return idleRead
	}
	// Parked: no read deadline (the timer stands for it), so Go's poller
	// keeps no timer of its own for the socket.
	c.nc.SetReadDeadline(time.Time{})
	c.noDeadline = false
	c.park = parking
	c.mu.Unlock()
	c.releaseWrites()
	err := c.watch.Watch(c.wakeFn)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closing || err != nil:
		c.park = running
		return idleEnd
	case c.woken:
		// The callback came while Watch was arming: read on.
		c.park, c.woken = running, false
		return idleRearm
	}
	c.park = parked
	if c.idleTimer == nil {
		c.idleTimer = time.AfterFunc(time.Until(c.idleUntil), c.timeoutFn)
	} else {
		c.idleTimer.Reset(time.Until(c.idleUntil))
	}
	return idleParked
}

// parkState is where the read loop is (idle.go), under mu.
type parkState uint8

const (
	running parkState = iota // the read loop runs
	parking                  // the read loop is arming the watch
	parked                   // no read loop: the watch or the timer resumes it
)

// idleWait runs on the read loop when a read timed out within a frame
// (the client stopped half-way), and reports whether the read goes on:
// before the idle timeout it releases memory and sets the rest; past it,
// or when the connection is closing, the read ends.
func (c *Conn) idleWait() bool {
	c.mu.Lock()
	switch {
	case c.closing:
		c.mu.Unlock()
		return false
	case len(c.streams) > 0:
		c.nc.SetReadDeadline(time.Time{})
		c.noDeadline = true
		c.mu.Unlock()
		return true
	case !time.Now().Before(c.idleUntil):
		c.mu.Unlock()
		return false
	}
	c.releaseLocked(false)
	c.nc.SetReadDeadline(c.idleUntil)
	c.mu.Unlock()
	c.releaseWrites()
	return true
}

// releaseLocked gives back, under mu, what only a busy connection needs
// on its read side: the streams kept for reuse, the queue, the buffers
// for HEADERS and the header block's fields and, between frames
// (boundary), the read Framer's buffer when a large frame grew it. It
// runs on the read loop. Within a frame the Framer is kept: it may be
// reading a HEADERS frame whose block goes on in CONTINUATION frames,
// which it is the one to expect.
func (c *Conn) releaseLocked(boundary bool) {
	c.free = nil
	if c.runHead == len(c.runq) {
		c.runq, c.runHead = nil, 0
	}
	c.hpay, c.hf = nil, headersFrame{}
	if !c.hb.active {
		c.hb.f = fields{}
	}
	if boundary && !c.hb.active {
		// The HPACK decoder keeps the last fragment it decoded, and with
		// it the HEADERS buffer just dropped: it is given a byte of the
		// Conn's own instead, the start of a representation that needs
		// more, which Close then discards (resetting it for the next
		// block as after any other).
		c.hdecByte[0] = 0x3f
		c.hdec.Write(c.hdecByte[:])
		c.hdec.Close()
		if c.rfMax > keepReadBuf {
			// No header block is open, so the Framer's CONTINUATION
			// bookkeeping is empty: a new one reads on where it stopped.
			c.rf = newReadFramer(c.br)
			c.rfMax = 0
		}
	}
}

// releaseWrites gives back the write side's cached field values and, when
// nothing is waiting to go out, the header encoding buffer.
func (c *Conn) releaseWrites() {
	c.wmu.Lock()
	c.vals = nil
	if c.out == nil {
		c.hbuf = nil
	}
	c.wmu.Unlock()
}

func newReadFramer(br *connReader) *http2.Framer {
	fr := http2.NewFramer(nil, br)
	fr.SetMaxReadFrameSize(maxFrameSize)
	return fr
}

// wake is the server's callback for a parked connection whose socket
// turned readable: the read loop runs again, on the callback's goroutine.
// While the read loop is still parking, it is told to read on instead.
func (c *Conn) wake() {
	c.mu.Lock()
	switch c.park {
	case parking:
		c.woken = true
		c.mu.Unlock()
		return
	case running:
		c.mu.Unlock()
		return
	}
	c.park = running
	c.mu.Unlock()
	c.idleTimer.Stop()
	c.readLoop()
}

// idleTimeout is the idle timer's callback: a connection still parked at
// the end of its idle timeout is sent GOAWAY and closed.
func (c *Conn) idleTimeout() {
	c.mu.Lock()
	if c.park != parked {
		c.mu.Unlock()
		return
	}
	if wait := time.Until(c.idleUntil); wait > 0 {
		// The idle wait was moved later after the timer was set: wait on,
		// rather than leave a parked connection with no timer at all.
		c.idleTimer.Reset(wait)
		c.mu.Unlock()
		return
	}
	c.park = running
	c.mu.Unlock()
	c.goAway(connErr{http2.ErrCodeNo, "idle"})
	c.finish()
}
