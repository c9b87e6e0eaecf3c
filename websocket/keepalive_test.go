package websocket_test

import (
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

// TestKeepalive: a silent client gets a ping after one interval and, when
// it does not answer, a 1011 close after another; a client that answers
// pings stays connected.
func TestKeepalive(t *testing.T) {
	t.Parallel()
	const interval = 100 * time.Millisecond
	e := newEcho(websocket.Options{PingInterval: interval})
	addr := serve(t, e)
	t.Run("silent", func(t *testing.T) {
		t.Parallel()
		c := dialRaw(t, addr, "/")
		start := time.Now()
		h, _, err := c.next()
		if err != nil || h.Op != wsframe.OpPing {
			t.Fatalf("got %v %v, want a ping", h.Op, err)
		}
		if code := c.closeCode(); code != wsframe.CloseInternalError {
			t.Errorf("close code %d, want 1011", code)
		}
		if d := time.Since(start); d < interval {
			t.Errorf("closed %v after the ping, before an interval passed", d)
		}
	})
	t.Run("answers", func(t *testing.T) {
		t.Parallel()
		c := dialRaw(t, addr, "/")
		deadline := time.Now().Add(6 * interval)
		pings := 0
		for time.Now().Before(deadline) {
			h, p, err := c.next()
			if err != nil {
				t.Fatal(err)
			}
			if h.Op != wsframe.OpPing {
				t.Fatalf("got %v, want only pings", h.Op)
			}
			pings++
			c.frame(true, 0, wsframe.OpPong, p, false)
		}
		if pings < 2 {
			t.Errorf("%d pings in %v", pings, 6*interval)
		}
		c.send(wsframe.OpText, "still here")
		if _, got := c.readData(); got != "still here" {
			t.Errorf("echo %q", got)
		}
	})
}

// TestKeepaliveServed keeps a connection served by Conn.Serve (watched
// and not) alive with pings the client answers, then echoes: pongs between
// messages send a watched connection back to the server's watch.
func TestKeepaliveServed(t *testing.T) {
	t.Parallel()
	// A pong later than one interval ends the connection (1011), so the
	// interval leaves room for a loaded machine: at 50 ms the race suite
	// on two cores saw a watched connection closed.
	const interval = 250 * time.Millisecond
	for _, watched := range []bool{false, true} {
		h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			c, err := websocket.Accept(w, r, &websocket.Options{Watched: watched, PingInterval: interval})
			if err != nil {
				return nil
			}
			c.Serve(func(typ websocket.MessageType, msg []byte) error { return c.WriteMessage(typ, msg) }, func(error) {})
			return nil
		})
		c := dialRaw(t, serve(t, h), "/")
		pings := 0
		for deadline := time.Now().Add(5 * interval); time.Now().Before(deadline); {
			h, p, err := c.next()
			if err != nil || h.Op != wsframe.OpPing {
				t.Fatalf("watched=%v: got %v %v, want pings", watched, h.Op, err)
			}
			pings++
			c.frame(true, 0, wsframe.OpPong, p, false)
		}
		c.send(wsframe.OpText, "still here")
		if _, got := c.readData(); got != "still here" || pings < 2 {
			t.Errorf("watched=%v: echo %q after %d pings", watched, got, pings)
		}
	}
}

// TestReadDeadline: a read deadline ends a silent connection's read with
// a timeout, reported as an abnormal end (1006).
func TestReadDeadline(t *testing.T) {
	t.Parallel()
	ended := make(chan error, 1)
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return nil
		}
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, _, err = c.ReadMessage(nil)
		ended <- err
		return nil
	})
	dialRaw(t, serve(t, h), "/")
	select {
	case err := <-ended:
		if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() || websocket.CloseCode(err) != 1006 {
			t.Errorf("read ended with %v (code %d), want a timeout, 1006", err, websocket.CloseCode(err))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read deadline did not end the read")
	}
}
