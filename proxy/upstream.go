package proxy

import (
	"context"
	"crypto/tls"
	"hash/fnv"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// upstream is one server requests are sent to, with its idle
// connections and its health.
type upstream struct {
	url  string // as configured, for logs and metrics
	addr string // host:port, dialled by name each time
	// id names the upstream in a sticky cookie, and seed mixes it into
	// the hashing policies: both from its address, so they survive a
	// restart and a reload.
	id   string
	seed uint64
	// tls is the TLS configuration of an https upstream, nil for http.
	tls *tls.Config

	active   atomic.Int64  // requests in flight
	failures atomic.Uint64 // failures since the start, for metrics
	// healthy is the active check's verdict; downUntil (Unix ns) is the
	// passive one's.
	healthy   atomic.Bool
	downUntil atomic.Int64
	// checked is the last active check, for the admin endpoint.
	checked atomic.Pointer[checkResult]

	mu        sync.Mutex
	idle      []*conn // most recently used last
	fails     int
	failStart time.Time
	closed    bool
}

func newUpstream(url, addr string) *upstream {
	h := fnv.New64a()
	h.Write([]byte(addr))
	u := &upstream{url: url, addr: addr, seed: h.Sum64()}
	u.id = strconv.FormatUint(u.seed, 36)
	u.healthy.Store(true)
	return u
}

// checkResult is one active health check's outcome.
type checkResult struct {
	at  time.Time
	err string // why it failed; "" when it passed
}

// available reports whether the upstream takes requests now.
func (u *upstream) available(now int64) bool {
	return u.healthy.Load() && now >= u.downUntil.Load()
}

// fail records a failure (nginx's max_fails within fail_timeout).
func (u *upstream) fail(h *Handler) {
	u.failures.Add(1)
	if h.cfg.MaxFails == 0 {
		return
	}
	now := time.Now()
	u.mu.Lock()
	if now.Sub(u.failStart) > h.cfg.FailTimeout {
		u.fails, u.failStart = 0, now
	}
	u.fails++
	down := u.fails >= h.cfg.MaxFails
	if down {
		u.fails = 0
		u.downUntil.Store(now.Add(h.cfg.FailTimeout).UnixNano())
	}
	u.mu.Unlock()
	if down {
		h.log.Warn("proxy: upstream taken out after failures", "upstream", u.url, "for", h.cfg.FailTimeout)
	}
}

// peekAfter is how long a connection must have been idle before it is
// checked for a close by the upstream.
const peekAfter = 500 * time.Millisecond

// get returns an idle connection that still looks open, or dials a new
// one.
func (u *upstream) get(ctx context.Context, h *Handler) (*conn, error) {
	now := time.Now()
	for {
		u.mu.Lock()
		n := len(u.idle)
		if n == 0 {
			u.mu.Unlock()
			break
		}
		c := u.idle[n-1]
		u.idle[n-1] = nil
		u.idle = u.idle[:n-1]
		u.mu.Unlock()
		// A connection idle for a moment is not peeked: no upstream
		// closes a kept-alive connection that soon (gunicorn, among the
		// quickest, waits 2 s), and under load the peek would be a
		// system call per request. A close in the window is still
		// caught by the retry.
		if idle := now.Sub(c.idleSince); idle < h.cfg.IdleTimeout {
			if idle >= peekAfter {
				// The deadline of the last request, kept while idle, may
				// have passed: the peek needs a live one.
				c.arm(h.cfg.Timeout)
			}
			if idle < peekAfter || c.alive() {
				c.reused = true
				return c, nil
			}
		}
		c.close()
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	nc, raw, err := h.dial(ctx, u)
	if err != nil {
		return nil, err
	}
	if nc == raw {
		if fc := fastConn(raw); fc != nil {
			nc = fc
		}
	}
	return &conn{nc: nc, raw: raw, up: u, buf: make([]byte, readBuf)}, nil
}

// burstGrace is how long a connection beyond max_idle is kept idle: the
// connections of a burst are given back together (one goroutine relays
// a batch of answers in a row), and closing those over the bound only to
// dial them again for the next burst doubled the cost of a request in
// the proxy benchmark.
const burstGrace = time.Second

// put keeps c for the next request, or closes it when the pool is
// closed. Connections idle past the timeout are closed on the way, and
// so are the oldest beyond MaxIdle once idle for burstGrace.
func (u *upstream) put(c *conn, h *Handler) {
	now := time.Now()
	c.idleSince = now
	c.r, c.w = 0, 0
	u.mu.Lock()
	// The oldest are first.
	k := 0
	for ; k < len(u.idle); k++ {
		idle := now.Sub(u.idle[k].idleSince)
		if idle < h.cfg.IdleTimeout && (len(u.idle)-k < h.cfg.MaxIdle || idle < burstGrace) {
			break
		}
		u.idle[k].close()
	}
	if k > 0 {
		rest := copy(u.idle, u.idle[k:])
		clear(u.idle[rest:])
		u.idle = u.idle[:rest]
	}
	if u.closed || h.cfg.MaxIdle == 0 {
		u.mu.Unlock()
		c.close()
		return
	}
	u.idle = append(u.idle, c)
	u.mu.Unlock()
}

// closeIdle closes the idle connections and keeps new ones out.
func (u *upstream) closeIdle() {
	u.mu.Lock()
	u.closed = true
	idle := u.idle
	u.idle = nil
	u.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}
