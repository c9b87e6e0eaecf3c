package server

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"

	"github.com/brick-server/brick/internal/sockopt"
)

// ListenConfig holds the listening socket's options.
type ListenConfig struct {
	// Backlog is the accept queue length; 0 means DefaultBacklog. The
	// kernel caps it at net.core.somaxconn.
	Backlog int
	// ReusePort sets SO_REUSEPORT so several processes can share the port.
	ReusePort bool
}

// DefaultBacklog is generous on purpose: a short accept queue turns a burst
// of connections into refused ones (a known source of 502s behind uWSGI).
const DefaultBacklog = 4096

// Listen opens a TCP listener on addr ("host:port", "[::1]:8888", ":0")
// with SO_REUSEADDR, the backlog and optionally SO_REUSEPORT.
func Listen(addr string, cfg ListenConfig) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		if err := sockopt.ReuseAddr(c); err != nil {
			return err
		}
		if cfg.ReusePort {
			return sockopt.ReusePort(c)
		}
		return nil
	}}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another server using the port? choose another address)", addr, err)
	}
	backlog := cfg.Backlog
	if backlog <= 0 {
		backlog = DefaultBacklog
	}
	if rc, err := ln.(*net.TCPListener).SyscallConn(); err == nil {
		if err := sockopt.Backlog(rc, backlog); err != nil {
			ln.Close()
			return nil, fmt.Errorf("set listen backlog on %s: %w", addr, err)
		}
	}
	return ln, nil
}

// onceCloseListener closes its listener once, for whichever of Serve (on
// every way out) and Shutdown or Close comes first, as net/http's does; a
// listener's second Close need not be harmless.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
