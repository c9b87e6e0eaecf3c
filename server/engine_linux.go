//go:build linux

package server

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/web"
)

// engine is the readiness-loop model (see the package documentation): one
// epoll loop per core owns the sockets; a connection with work is handed to
// a worker goroutine, and handed back to its loop when idle.
type engine struct {
	srv *Server
	// idleConns is the number of parked connections between requests at
	// the last sweep: counted there, once a second, so that keeping it
	// costs the request path nothing.
	idleConns atomic.Int64
	pollers   []*poller
	next      atomic.Uint32
	gen       atomic.Uint32 // the last connection's generation (pollConn.gen)
	table     fdTable

	mu   sync.Mutex
	idle []*worker // LIFO: the most recently used worker has a warm stack

	queue    []*pollConn // ready connections; queue[head:] wait for a worker
	head     int
	spinning bool // a worker has been woken for the queue and not yet taken from it

	stopOnce sync.Once
	stopped  atomic.Bool

	hooks atomic.Pointer[testHooks] // nil outside tests
}

// testHooks let tests (export_test.go) widen the engine's race windows and
// inject failures; the engine has none outside tests.
type testHooks struct {
	// polled runs after a loop takes a batch of events, before it
	// handles them.
	polled func()
	// pollErr, when it returns an error, makes a loop's epoll_wait fail
	// with it.
	pollErr func(*poller) error
	// accepted runs after accept4 took a connection, before it is given
	// to a loop.
	accepted func()
}

// pollable reports whether ln has a file descriptor the loops can accept on.
func pollable(ln net.Listener) bool {
	_, ok := ln.(syscall.Conn)
	return ok
}

func (s *Server) startEngine() (*engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engine != nil {
		return s.engine, nil
	}
	e := &engine{srv: s}
	for range runtime.GOMAXPROCS(0) {
		p, err := newPoller(e)
		if err != nil {
			for _, p := range e.pollers { // not running yet
				p.file.Close()
				unix.Close(p.wakefd)
			}
			return nil, err
		}
		e.pollers = append(e.pollers, p)
	}
	for _, p := range e.pollers {
		go p.run()
	}
	s.engine = e
	return e, nil
}

// sweep closes parked connections past their deadline (with 408 when a
// head was partly received) and lets long-idle workers exit.
func (e *engine) sweep(now int64) {
	idle := 0
	e.table.each(func(pc *pollConn) {
		if pc.idleBetweenRequests() {
			idle++
		}
		if partial, ok := pc.claimParked(now); ok {
			if partial {
				var buf [256]byte
				resp := appendCannedResponse(buf[:0], 408, "request header timeout", e.srv.clock.Date(), true)
				// Reported before it goes out, as the exchange reports
				// its answers, unless it cannot: a TLS connection still
				// in its handshake gets no 408 and had no request. The
				// request is one of its own: the sweep has no exchange,
				// and this path is rare enough to allocate.
				t, isTLS := pc.conn.t.(*tlsConn)
				if !isTLS || t.state == tlsOpen {
					pc.conn.reportUnparsed(new(web.Request), 408, "request header timeout")
				}
				if isTLS {
					t.writeLast(resp)
				} else {
					rawWrite(int(pc.fd), resp)
				}
			}
			pc.closeNow()
		}
	})
	e.idleConns.Store(int64(idle))
	e.mu.Lock()
	// Workers idle for a second give their spare buffers back: they are for
	// bursts, and a quiet server should hold memory only for connections.
	for _, w := range e.idle {
		if now-w.last > int64(time.Second) {
			w.x.dropSpares()
		}
	}
	old := 0
	for old < len(e.idle) && now-e.idle[old].last > int64(workerIdleTime) {
		e.idle[old].ch <- true
		old++
	}
	e.idle = append(e.idle[:0], e.idle[old:]...)
	e.mu.Unlock()
}

// closeParked closes the parked connections waiting between requests (for
// Shutdown). One with part of a head waits for its header deadline, and a
// new one gets newConnGrace to send its first request.
func (e *engine) closeParked() {
	now := time.Now().UnixNano() // the server's clock stops at Shutdown
	e.table.each(func(pc *pollConn) {
		if pc.claimIdle(now) {
			pc.closeNow()
		}
	})
}

// abortAll closes parked connections and makes busy ones fail (for Close).
func (e *engine) abortAll() {
	e.table.each(func(pc *pollConn) { pc.fail() })
}

func (e *engine) stop() {
	e.stopOnce.Do(func() {
		e.stopped.Store(true)
		for _, p := range e.pollers {
			if p.failed.Load() {
				p.closeFiles() // its goroutine is gone
			} else {
				p.wake()
			}
		}
		// Watched connections lose their watcher: their owners read on
		// their own from now on.
		e.table.each(func(pc *pollConn) { pc.unwatch() })
		e.mu.Lock()
		for _, w := range e.idle {
			w.ch <- true
		}
		e.idle = nil
		e.mu.Unlock()
	})
}

func (e *engine) idleCount() int64 { return e.idleConns.Load() }
