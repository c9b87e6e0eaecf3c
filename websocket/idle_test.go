package websocket_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

// TestIdleCost holds 1,000 idle echo connections served by Conn.Serve,
// with and without Options.Watched, plain and over TLS, and measures what
// they cost: watched by the engine, an idle connection holds no goroutine
// (and no read or message buffer), over TLS too; otherwise each holds a
// reading goroutine. Messages still flow after the idle spell, and the
// peer's close reaches done.
func TestIdleCost(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	const n = 1000
	for _, tc := range []struct{ watched, tls bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		watched := tc.watched
		t.Run(fmt.Sprintf("Watched=%v/TLS=%v", watched, tc.tls), func(t *testing.T) {
			ended := make(chan int, n)
			h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
				c, err := websocket.Accept(w, r, &websocket.Options{Watched: watched})
				if err != nil {
					return nil
				}
				c.Serve(func(typ websocket.MessageType, msg []byte) error {
					return c.WriteMessage(typ, msg)
				}, func(err error) { ended <- websocket.CloseCode(err) })
				return nil
			})
			addr, dial := serve(t, h), dialRaw
			if tc.tls {
				addr = serveTLS(t, h)
				dial = func(t testing.TB, addr, path string, _ ...string) *rawClient { return dialRawTLS(t, addr, path) }
			}
			echo := func(c *rawClient, msg string) {
				t.Helper()
				c.send(wsframe.OpText, msg)
				if _, got := c.readData(); got != msg {
					t.Fatalf("echo %q, want %q", got, msg)
				}
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			g0 := runtime.NumGoroutine()
			conns := make([]*rawClient, n)
			for i := range conns {
				conns[i] = dial(t, addr, "/")
				conns[i].nc.SetDeadline(time.Now().Add(60 * time.Second))
				echo(conns[i], "first")
			}
			time.Sleep(50 * time.Millisecond) // let handlers return
			runtime.GC()
			runtime.ReadMemStats(&after)
			goroutines := runtime.NumGoroutine() - g0
			t.Logf("%d idle connections: %d goroutines, %.1f KiB heap+stacks per connection (the raw clients' included)",
				n, goroutines, float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse)/n/1024)
			if watched && goroutines > n/10 {
				t.Errorf("%d goroutines for %d idle watched connections, want none each", goroutines, n)
			}
			for i, c := range conns {
				echo(c, fmt.Sprint("again ", i))
				c.send(wsframe.OpClose, "\x03\xe8")
				if code := c.closeCode(); code != 1000 {
					t.Fatalf("close code %d", code)
				}
			}
			for range n {
				select {
				case code := <-ended:
					if code != 1000 {
						t.Fatalf("done with %d", code)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("done was not called for every connection")
				}
			}
		})
	}
}

// TestIdleAfterPings answers one keepalive ping on each of 100 watched,
// served connections: a pong between messages must send a connection back
// to the server's watch, not leave a goroutine waiting for the next
// message.
func TestIdleAfterPings(t *testing.T) {
	// One interval must cover dialing all n and answering their pings on
	// a loaded machine: a pong later than that ends a connection (1011).
	const n, interval = 100, time.Second
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, &websocket.Options{Watched: true, PingInterval: interval})
		if err != nil {
			return nil
		}
		c.Serve(func(typ websocket.MessageType, msg []byte) error { return c.WriteMessage(typ, msg) }, func(error) {})
		return nil
	})
	addr := serve(t, h)
	g0 := runtime.NumGoroutine()
	conns := make([]*rawClient, n)
	for i := range conns {
		conns[i] = dialRaw(t, addr, "/")
	}
	for _, c := range conns {
		h, p, err := c.next()
		if err != nil || h.Op != wsframe.OpPing {
			t.Fatalf("got %v %v, want a ping", h.Op, err)
		}
		c.frame(true, 0, wsframe.OpPong, p, false)
	}
	time.Sleep(interval / 2)
	if g := runtime.NumGoroutine() - g0; g > n/4 {
		t.Errorf("%d goroutines for %d idle connections that answered a ping, want none each", g, n)
	}
	for _, c := range conns {
		c.send(wsframe.OpClose, "\x03\xe8")
		c.closeCode() // 1000, or 1011 if a keepalive ran out first
	}
}
