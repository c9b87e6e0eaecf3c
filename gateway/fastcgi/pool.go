package fastcgi

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"
)

// conn is a connection to the FastCGI server with its record reader.
type conn struct {
	nc     net.Conn
	rd     *Reader
	reused bool // it served a request before this one
	peek   peeker
}

// pool holds kept-alive connections to one FastCGI server. PHP-FPM serves
// one request per connection at a time (FCGI_MPXS_CONNS is 0) and a child
// process serves one connection until it closes, so the pool bounds the
// connections open at once by max, which should be at most the server's
// children (pm.max_children): a connection beyond them would wait for a
// child that an idle kept-alive connection holds.
type pool struct {
	network, addr string
	dialTimeout   time.Duration

	slots chan struct{} // a token per connection that may be open

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

// errPoolClosed is returned by get once the pool is closed.
var errPoolClosed = errors.New("fastcgi: the handler is closed")

// parseAddress splits "unix:/path" or "host:port".
func parseAddress(a string) (network, addr string) {
	if p, ok := strings.CutPrefix(a, "unix:"); ok {
		return "unix", p
	}
	return "tcp", a
}

func newPool(address string, max int, dialTimeout time.Duration) *pool {
	p := &pool{dialTimeout: dialTimeout, slots: make(chan struct{}, max)}
	p.network, p.addr = parseAddress(address)
	return p
}

// get returns an idle connection, or dials one when fewer than max are
// open, or waits for one until ctx ends. fresh asks for a new connection
// even when one is idle: a kept-alive connection may be closing as it is
// taken (a child past pm.max_requests closes it just after its last
// answer), which only a request that can be sent again may risk. An idle
// connection is closed then, to free the child the new one needs.
func (p *pool) get(ctx context.Context, deadline time.Time, fresh bool) (*conn, error) {
	select {
	case p.slots <- struct{}{}:
	default:
		// Every connection is busy: wait, until the request's deadline.
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, errPoolClosed
	}
	if n := len(p.idle); fresh && n > 0 {
		p.idle[0].nc.Close() // the longest idle
		copy(p.idle, p.idle[1:])
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
	}
	for n := len(p.idle); n > 0 && !fresh; n-- {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if c.peek.alive() {
			p.mu.Unlock()
			c.reused = true
			return c, nil
		}
		c.nc.Close()
	}
	p.mu.Unlock()
	d := net.Dialer{Timeout: p.dialTimeout, Deadline: deadline}
	nc, err := d.DialContext(ctx, p.network, p.addr)
	if err != nil {
		<-p.slots
		return nil, err
	}
	c := &conn{nc: nc, rd: NewReader(nc)}
	c.peek.init(nc)
	return c, nil
}

// put gives back a connection whose request ended cleanly.
func (p *pool) put(c *conn) {
	c.nc.SetDeadline(time.Time{})
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.nc.Close()
	} else {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
	}
	<-p.slots
}

// discard closes a connection whose state is unknown (an error, a
// timeout, a request cut off) and frees its slot.
func (p *pool) discard(c *conn) {
	c.nc.Close()
	<-p.slots
}

// close closes the idle connections; those in use are closed when their
// requests end.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
}
