package server

import (
	"sync"
	"time"

	"github.com/brick-server/brick/h2"
	"github.com/brick-server/brick/wire"
)

// Settings are what a running server can change with Update: its limits,
// timeouts and HTTP/2 over cleartext. They start as the Server's fields of
// the same names.
type Settings struct {
	Limits     Limits
	Timeouts   Timeouts
	DisableH2C bool
}

// settings is a Settings with its defaults filled in, never changed once
// published: the engine loads the current one with one atomic read (no
// lock, no allocation) and keeps it for what it is doing.
//
// An HTTP/1.1 request loads it once, as it begins (before its head is
// parsed), and keeps it to its end: its header, body and drain limits and
// its read and write timeouts come from one configuration, and the
// settings in force when a kept-alive connection starts waiting set its
// idle deadline. An HTTP/2 connection takes them when it starts, for its
// life (its streams share one set of flow-control and size promises). So
// after Update every new request and connection gets the new values and
// nothing in flight changes under its feet, as after an nginx reload,
// where the old workers finish what they were doing with the old
// configuration. Per request rather than per connection because a parked
// connection has no room for a pointer (TestParkedConnSize), and a
// kept-alive connection then follows a reload at its next request.
type settings struct {
	lim Limits
	to  Timeouts
	h2c bool
	h2  *h2.Config // what HTTP/2 connections started under these use
}

// live returns the settings in force.
func (s *Server) live() *settings { return s.cur.Load() }

// Update makes set the server's limits, timeouts and HTTP/2-over-cleartext
// switch for what starts after it returns: new requests (and the waits of
// connections for their next request) and new HTTP/2 connections.
// Requests in flight and open HTTP/2 connections finish under the values
// they began with. A lower MaxConns admits no new connection until enough
// have closed; none is closed for it. Zero fields take their defaults, as
// in the Server's fields, which Update does not change. It may be called
// at any time, from any goroutine; the first call (like Serve) fixes the
// Server's other fields, Handler included.
func (s *Server) Update(set Settings) {
	s.init()
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	n := s.newSettings(set)
	s.cur.Store(n)
	s.slots.setLimit(n.lim.MaxConns)
}

// newSettings fills in set's defaults.
func (s *Server) newSettings(set Settings) *settings {
	lim := set.Limits
	lim.MaxBodyBytes = orDefault(lim.MaxBodyBytes, 64<<20)
	lim.MaxDrainBytes = orDefault(lim.MaxDrainBytes, 256<<10)
	if lim.MaxConns <= 0 {
		lim.MaxConns = defaultMaxConns()
	}
	lim.Limits = wire.Limits{
		MaxTargetBytes: orDefault(lim.MaxTargetBytes, wire.DefaultMaxTargetBytes),
		MaxHeaderBytes: orDefault(lim.MaxHeaderBytes, wire.DefaultMaxHeaderBytes),
		MaxHeaderCount: orDefault(lim.MaxHeaderCount, wire.DefaultMaxHeaderCount),
	}
	to := set.Timeouts
	to.ReadHeader = orDefault(to.ReadHeader, 10*time.Second)
	to.Read = orDefault(to.Read, 60*time.Second)
	to.Write = orDefault(to.Write, 60*time.Second)
	to.Idle = orDefault(to.Idle, 75*time.Second)
	return &settings{lim: lim, to: to, h2c: !set.DisableH2C, h2: &h2.Config{
		Handler: s.Handler, Logger: s.log, Observer: s.Observer, Context: s.ctx,
		MaxHeaderBytes: lim.MaxHeaderBytes, MaxHeaderCount: lim.MaxHeaderCount,
		MaxBodyBytes: lim.MaxBodyBytes,
		ReadHeader:   to.ReadHeader, Read: to.Read, Write: to.Write, Idle: to.Idle,
		Date: s.clock.Date, Trace: s.Trace,
	}}
}

// connSlots bounds open connections by a limit that Update may change.
// It is taken once per connection, by the accept loops, so a mutex costs
// nothing on the request path.
type connSlots struct {
	mu          sync.Mutex
	used, limit int
	// wake holds a token when a slot may have come free (a release, a
	// raised limit) for an accept loop waiting in acquire.
	wake chan struct{}
}

func newConnSlots(limit int) *connSlots {
	return &connSlots{limit: limit, wake: make(chan struct{}, 1)}
}

// acquire waits for a slot; it reports false once done is closed.
func (q *connSlots) acquire(done <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if q.used < q.limit {
			q.used++
			more := q.used < q.limit
			q.mu.Unlock()
			if more {
				// Another accept loop may wait on the token this one took.
				q.signal()
			}
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-done:
			return false
		}
	}
}

// release gives a slot back.
func (q *connSlots) release() {
	q.mu.Lock()
	q.used--
	q.mu.Unlock()
	q.signal()
}

func (q *connSlots) setLimit(n int) {
	q.mu.Lock()
	q.limit = n
	q.mu.Unlock()
	q.signal()
}

func (q *connSlots) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
