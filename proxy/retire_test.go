package proxy_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/server"
)

// wsEcho is a coder/websocket echo upstream (it refuses unmasked frames)
// reporting the close code each of its WebSockets ended with.
func wsEcho(t *testing.T) (url string, closes chan websocket.StatusCode) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closes = make(chan websocket.StatusCode, 8)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(context.Background())
			if err != nil {
				closes <- websocket.CloseStatus(err)
				return
			}
			if c.Write(context.Background(), typ, b) != nil {
				return
			}
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), closes
}

// TestRetireTunnels: a Handler a reload replaced keeps its WebSockets
// for ws_grace, then closes them with 1001 both ways (to the upstream
// masked, which coder/websocket insists on); one whose tunnels passed to
// its successor closes none, and the successor's Retire closes them.
// Watched tunnels (the epoll engine) and those two goroutines copy (a
// goroutine per connection) alike.
func TestRetireTunnels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		goroutinePer    bool
		passBeforeClose bool
		// chain: a later reload's generation (mid) passed its tunnels
		// on to next before old passed its own to mid.
		chain bool
		// toRetired: old passes its tunnels to a Handler whose own
		// ws_grace is over (a later reload retired it first).
		toRetired bool
	}{
		{"watched, retired", false, false, false, false},
		{"watched, passed on", false, true, false, false},
		{"copied, retired", true, false, false, false},
		{"copied, passed on", true, true, false, false},
		{"watched, passed along a chain", false, true, true, false},
		{"copied, passed along a chain", true, true, true, false},
		{"watched, passed to a retired route", false, true, false, true},
		{"copied, passed to a retired route", true, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, closes := wsEcho(t)
			old, err := proxy.New(config(url))
			if err != nil {
				t.Fatal(err)
			}
			next, err := proxy.New(config(url))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { old.Close(); next.Close() })
			addr := loopback.Serve(t, &server.Server{Handler: old, GoroutinePerConn: tc.goroutinePer})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			echo := func() {
				t.Helper()
				if err := ws.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
					t.Fatal(err)
				}
				if _, b, err := ws.Read(ctx); err != nil || string(b) != "hi" {
					t.Fatalf("echo %q, %v", b, err)
				}
			}
			echo()
			const grace = 200 * time.Millisecond
			if tc.toRetired {
				next.Retire(grace) // nothing open: over at once
				old.PassTunnels(next)
				old.Close()
			} else if tc.chain {
				mid, err := proxy.New(config(url))
				if err != nil {
					t.Fatal(err)
				}
				mid.PassTunnels(next)
				mid.Close()
				old.PassTunnels(mid)
				old.Close()
				time.Sleep(2 * grace)
				echo() // still open: next holds it
				next.Retire(grace)
			} else if tc.passBeforeClose {
				old.PassTunnels(next)
				old.Retire(grace)
				time.Sleep(2 * grace)
				echo() // still open: next holds it
				next.Retire(grace)
			} else {
				old.Retire(grace)
				echo() // kept during ws_grace
			}
			start := time.Now()
			_, _, err = ws.Read(ctx)
			if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
				t.Fatalf("the client's WebSocket ended with %v (%d), want 1001", err, code)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("closed %v after ws_grace", d)
			}
			select {
			case code := <-closes:
				if code != websocket.StatusGoingAway {
					t.Errorf("the upstream's WebSocket ended with %d, want 1001", code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the upstream's WebSocket did not end")
			}
		})
	}
}

// TestRetiredTunnelOpenedLate: a tunnel opened through a retired Handler
// after the tunnels its Retire waited for had all closed (a request in
// flight through the reload) is not left open with nothing to close it:
// it goes away with 1001 at once, as when Retire found none.
func TestRetiredTunnelOpenedLate(t *testing.T) {
	t.Parallel()
	url, _ := wsEcho(t)
	old, err := proxy.New(config(url))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Close() })
	addr := loopback.Serve(t, &server.Server{Handler: old})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	old.Retire(time.Hour) // a ws_grace longer than the test
	first.Close(websocket.StatusNormalClosure, "")
	// The first tunnel ends on the proxy's side (it counts as an active
	// request of its upstream while it lasts).
	for until := time.Now().Add(5 * time.Second); old.Stats()[0].Active > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(until) {
			t.Fatal("the first tunnel did not end")
		}
	}
	late, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer late.CloseNow()
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	defer rcancel()
	_, _, err = late.Read(rctx)
	if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
		t.Fatalf("the late WebSocket ended with %v (%d), want 1001 at once", err, code)
	}
}
