package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
)

// TestShutdownNewConnection: Shutdown closes connections waiting between
// requests, whose clients retry, but a connection accepted just before it
// still gets its first request answered (with "Connection: close"): its
// client would not retry, so closing it would lose a request. This is
// the race of every binary upgrade, where the old process drains while
// clients keep connecting. A new connection that stays silent is closed
// after a grace period (or its header timeout).
func TestShutdownNewConnection(t *testing.T) {
	for _, silent := range []bool{false, true} {
		name := "first request after Shutdown began"
		if silent {
			name = "silent"
		}
		t.Run(name, func(t *testing.T) {
			runParallel(t, func(t *testing.T, m mode) {
				e := m.start(t, newApp(), func(s *server.Server) { s.Timeouts.ReadHeader = 2 * time.Second })
				idle, ibr := e.dial(t)
				expectOpen(t, idle, ibr)
				fresh, fbr := e.dial(t)
				for deadline := time.Now().Add(5 * time.Second); e.srv.OpenConns() < 2; {
					if time.Now().After(deadline) {
						t.Fatalf("%d connections open, want 2", e.srv.OpenConns())
					}
					time.Sleep(time.Millisecond)
				}
				shut := make(chan error, 1)
				t0 := time.Now()
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					shut <- e.srv.Shutdown(ctx)
				}()
				if got := readWithin(t, idle, 2*time.Second); got != "" {
					t.Errorf("the idle connection got %q", got)
				}
				if silent {
					if got := readWithin(t, fresh, 9*time.Second); got != "" {
						t.Errorf("the silent connection got %q", got)
					}
				} else {
					write(t, fresh, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
					if r := readResponse(t, fbr, "GET"); r.StatusCode != 200 || r.body != "Hello, World!" || !r.Close {
						t.Errorf("the new connection's request: %d %q close=%v", r.StatusCode, r.body, r.Close)
					}
					expectClosed(t, fresh, fbr)
				}
				if err := <-shut; err != nil {
					t.Errorf("Shutdown: %v after %v", err, time.Since(t0))
				}
			})
		})
	}
}
