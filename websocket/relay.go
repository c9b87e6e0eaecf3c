package websocket

import (
	"net"
	"sync"
	"time"
)

// Relay is a connection that a reverse proxy relays after a protocol
// switch (its upstream answered 101): a WebSocket, or another protocol
// Upgrade named. Track counts it among the connections Open counts
// and Drain waits for, so that a binary upgrade or a stop treats it as
// Brick's own WebSockets: kept until it closes or ws_grace ends, then
// closed with 1001 (going away).
//
// The proxy passes bytes through and frames nothing; it writes each
// direction through the Relay (Client, Upstream), which follows the
// frame heads as TrackForeign does. GoAway then puts a close frame
// (1001) between two frames each way: unmasked to the client, as the
// upstream (a server) would send it, and masked to the upstream, as a
// client would (RFC 6455 §5.3). Each peer answers the close it got and
// ends the connection; the proxy's relaying sees those ends and closes
// its tunnel (what each answers is dropped: the other peer had its close
// already). A tunnel that is not a WebSocket, or a direction stuck inside
// a frame, is only closed, at once or after 5 s.
type Relay struct {
	client   followed
	upstream followed

	end func()
	// mu guards ended and closed, which only GoAway makes: an idle
	// tunnel holds no channel.
	mu     sync.Mutex
	ended  bool
	closed chan struct{}
}

// NewRelay returns a Relay for a relayed connection; Track counts it
// until Ended. The proxy writes
// to the client through Client and to the upstream through Upstream,
// from their first byte: the client's starting with the 101 response
// head (any other status makes the tunnel opaque), the upstream's with
// WebSocket frames. ws is false for a protocol that is not WebSocket,
// whose bytes are not followed. end closes the tunnel (both connections)
// when GoAway's wait is over; the proxy calls Ended once it is closed.
func NewRelay(client, upstream net.Conn, ws bool, end func()) *Relay {
	return &Relay{client: followed{Conn: client, inHead: true, opaque: !ws},
		upstream: followed{Conn: upstream, masked: true, opaque: !ws},
		end:      end}
}

// Track counts r among the process's connections (Open, Drain) until
// Ended.
func (r *Relay) Track() { track(r) }

// Client is the client's connection, to be written to through the
// Relay; reads pass through.
func (r *Relay) Client() net.Conn { return &r.client }

// Upstream is the upstream's connection, written to through the Relay.
func (r *Relay) Upstream() net.Conn { return &r.upstream }

// GoAway closes the relayed connection with 1001 (going away) both ways,
// as Drain does at the end of ws_grace, and returns once the tunnel has
// ended (the proxy called Ended), at most about 5 s later: then it ends
// the tunnel itself. A reverse proxy whose route a reload replaced calls
// it when ws_grace is over.
func (r *Relay) GoAway() {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	if r.closed == nil {
		r.closed = make(chan struct{})
	}
	closed := r.closed
	r.mu.Unlock()
	owed := make(chan bool, 2)
	// A write blocked on a peer that does not read holds its direction's
	// mutex; the timer below ends it.
	go func() { owed <- r.client.owe() }()
	go func() { owed <- r.upstream.owe() }()
	t := time.NewTimer(foreignCloseTimeout)
	defer t.Stop()
	for n := 0; n < 2; n++ {
		select {
		case ws := <-owed:
			if ws {
				continue
			}
			// Not a WebSocket (or not one Brick can follow): nothing
			// can say going away in it.
			r.end()
			<-closed
			return
		case <-closed:
			return
		case <-t.C:
			r.end()
			<-closed
			return
		}
	}
	select {
	case <-closed:
	case <-t.C:
		r.end()
		<-closed
	}
}

func (r *Relay) goAway() { r.GoAway() }

// Ended tells the Relay that the tunnel is closed: it is no longer
// counted.
func (r *Relay) Ended() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.ended = true
	untrack(r)
	if r.closed != nil {
		close(r.closed)
	}
}
