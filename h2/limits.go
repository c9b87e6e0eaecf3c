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
)

// floodCounters are the read loop's per-second counters.
type floodCounters struct {
	resets, settings, pings, empty rate
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
