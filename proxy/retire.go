package proxy

import (
	"sync"
	"time"

	"github.com/brick-server/brick/websocket"
)

// A reload builds new Handlers; the tunnels (WebSockets) the old ones
// relay stay open. Those of a route the reload left as it was pass to
// the Handler replacing it (PassTunnels) and live on as if it had opened
// them; those of a route it changed or removed are kept for ws_grace
// (Retire), then closed with 1001 (going away) both ways, as a retired
// ASGI worker's WebSockets are. A stop or a binary upgrade reaches every
// tunnel through package websocket's Drain instead (websocket.Relay), as
// it does Brick's own WebSockets.

// tunnelsMu guards every tunnelSet and each tunnelRec's set: a tunnel
// moves from one Handler's set to another's.
var tunnelsMu sync.Mutex

// tunnelSet is a Handler's open tunnels.
type tunnelSet struct {
	recs map[*tunnelRec]struct{}
	// gone is made by Retire and closed when the set empties; over is
	// set when its ws_grace ended, or the set emptied before: a tunnel
	// opened later (a request in flight through the retirement) goes
	// away at once.
	gone chan struct{}
	over bool
	// passed is the set PassTunnels gave this one's tunnels to: those
	// passed or opened here later go on to it, so that none is left in a
	// set nothing retires (reloads that retire generations out of order).
	passed *tunnelSet
}

// dest is where tunnels given to s go: s, or the set it was passed to.
// Under tunnelsMu.
func (s *tunnelSet) dest() *tunnelSet {
	for s.passed != nil {
		s = s.passed
	}
	return s
}

// tunnelRec is one open tunnel, in the set of the Handler it belongs to.
type tunnelRec struct {
	relay *websocket.Relay
	set   *tunnelSet
}

// add counts r, whose relay is set, in s and in package websocket's
// connections.
func (s *tunnelSet) add(r *tunnelRec) {
	r.relay.Track()
	tunnelsMu.Lock()
	s = s.dest()
	over := s.over
	if s.recs == nil {
		s.recs = map[*tunnelRec]struct{}{}
	}
	s.recs[r] = struct{}{}
	r.set = s
	tunnelsMu.Unlock()
	if over {
		go r.relay.GoAway()
	}
}

// ended takes the closed tunnel r out of its set and of the count.
func (r *tunnelRec) ended() {
	tunnelsMu.Lock()
	if s := r.set; s != nil {
		delete(s.recs, r)
		if len(s.recs) == 0 && s.gone != nil {
			close(s.gone)
			s.gone = nil
			// Nothing waits for ws_grace any more: a tunnel opened
			// later (a request in flight) goes away at once, as after
			// a Retire that found none.
			s.over = true
		}
		r.set = nil
	}
	tunnelsMu.Unlock()
	r.relay.Ended()
}

// PassTunnels hands h's open tunnels to next, the Handler of the same
// configuration that replaces h on a reload: they stay open for as long
// as next lasts. Call it before Close.
//
// next may itself have passed its tunnels on, or been retired, when a
// later reload's generation closed before this one's: h's tunnels go
// where next's went, and away at once when that set's ws_grace is over.
func (h *Handler) PassTunnels(next *Handler) {
	tunnelsMu.Lock()
	dst := next.tunnels.dest()
	if dst == &h.tunnels {
		tunnelsMu.Unlock()
		return
	}
	h.tunnels.passed = dst
	var late []*websocket.Relay
	if len(h.tunnels.recs) > 0 && dst.recs == nil {
		dst.recs = map[*tunnelRec]struct{}{}
	}
	for r := range h.tunnels.recs {
		r.set = dst
		dst.recs[r] = struct{}{}
		if dst.over {
			late = append(late, r.relay)
		}
	}
	clear(h.tunnels.recs)
	tunnelsMu.Unlock()
	for _, r := range late {
		go r.GoAway()
	}
}

// Retire is Close for a Handler that a reload replaced with another
// configuration: its open tunnels are kept until they close or wsGrace
// ends, when they are closed with 1001 (going away) both ways.
func (h *Handler) Retire(wsGrace time.Duration) {
	h.Close()
	s := &h.tunnels
	tunnelsMu.Lock()
	n := len(s.recs)
	if n == 0 {
		s.over = true
		tunnelsMu.Unlock()
		return
	}
	gone := make(chan struct{})
	s.gone = gone
	tunnelsMu.Unlock()
	h.log.Info("proxy: a reload replaced this route; its open WebSockets are kept until they close",
		"route", h.cfg.Prefix, "websockets", n, "ws_grace", wsGrace.String())
	go func() {
		t := time.NewTimer(wsGrace)
		defer t.Stop()
		select {
		case <-gone:
			return
		case <-t.C:
		}
		tunnelsMu.Lock()
		s.over = true
		left := make([]*websocket.Relay, 0, len(s.recs))
		for r := range s.recs {
			left = append(left, r.relay)
		}
		tunnelsMu.Unlock()
		h.log.Info("proxy: ws_grace is over; closing the replaced route's WebSockets with 1001 going away",
			"route", h.cfg.Prefix, "websockets", len(left))
		var wg sync.WaitGroup
		for _, r := range left {
			wg.Go(r.GoAway)
		}
		wg.Wait()
	}()
}
