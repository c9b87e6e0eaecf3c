package h2

import (
	"time"

	"golang.org/x/net/http2"
)

// Default caps on what a client may send per second on one connection
// before it is told ENHANCE_YOUR_CALM and closed. Each is far above what a
// browser or a proxy sends (a page load resets a few streams, pings and
// changes settings once or twice) and far below what costs the server.
const (
	defaultMaxResets   = 200
	defaultMaxSettings = 100
	defaultMaxPings    = 100
	defaultMaxEmpty    = 200
	// A client updates windows as DATA arrives, so DATA sent earns
	// WINDOW_UPDATEs that count against nothing: two per frame (its
	// stream's and the connection's) and one per KiB, for clients that
	// update per read rather than per frame (Go's, every 4 KiB, twice).
	// Only updates beyond those are counted.
	defaultMaxWindowUpdates = 200
	// Browsers send a PRIORITY frame or two per stream at most.
	defaultMaxPriorities = 1000
	// Unknown frame types (a client's GREASE frame), RST_STREAM for a
	// stream already closed (a race the client cannot avoid), GOAWAY,
	// and acknowledgements of SETTINGS and PING are rare.
	defaultMaxOther = 200
	maxWindowCredit = 4096
)

// floodCounters are the read loop's per-second counters.
type floodCounters struct {
	resets, settings, pings, empty, windows, priorities, other rate

	// Window updates earned by DATA sent and not yet spent, and the
	// Conn.updatesEarned they were counted up to.
	windowCredit int
	earnedSeen   uint64
}

// countWindowUpdate counts one WINDOW_UPDATE: free while DATA sent since
// earned it, counted against the cap otherwise (a flood of updates the
// server never asked for costs a lock and a wake-up each).
func (c *Conn) countWindowUpdate() error {
	l := &c.limits
	c.mu.Lock()
	earned := c.updatesEarned
	c.mu.Unlock()
	l.windowCredit = int(min(uint64(l.windowCredit)+earned-l.earnedSeen, maxWindowCredit))
	l.earnedSeen = earned
	if l.windowCredit > 0 {
		l.windowCredit--
		return nil
	}
	return l.windows.hit(c.cfg.MaxWindowUpdatesPerSecond, defaultMaxWindowUpdates)
}

// rate counts events in the current one-second window.
type rate struct {
	since time.Time
	n     int
}

// hit counts one event and fails once more than max (or def when max is
// 0) came within a second.
func (r *rate) hit(max, def int) error {
	if max <= 0 {
		max = def
	}
	now := time.Now()
	if now.Sub(r.since) >= time.Second {
		r.since, r.n = now, 0
	}
	r.n++
	if r.n > max {
		return connErr{http2.ErrCodeEnhanceYourCalm, "flood"}
	}
	return nil
}
