package websocket_test

import (
	"testing"
	"time"

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
