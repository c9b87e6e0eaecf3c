//go:build !race

package websocket_test

import (
	"io"
	"testing"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

// TestServedEchoAllocs echoes small messages through Conn.Serve on a
// watched connection, which parks between messages (the client waits for
// each echo): the server's callback, the pooled buffers and the
// goroutine each wake-up runs on allocate nothing once warm.
func TestServedEchoAllocs(t *testing.T) {
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, &websocket.Options{Watched: true})
		if err != nil {
			return nil
		}
		c.Serve(func(typ websocket.MessageType, msg []byte) error { return c.WriteMessage(typ, msg) }, func(error) {})
		return nil
	})
	c := dialRaw(t, serve(t, h), "/")
	const msg = "a small message"
	frame := func() []byte {
		h := wsframe.Header{Fin: true, Op: wsframe.OpText, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: int64(len(msg))}
		p := []byte(msg)
		wsframe.Mask(h.Mask, 0, p)
		return append(wsframe.AppendHeader(nil, h), p...)
	}()
	echo := make([]byte, 2+len(msg))
	round := func() {
		if _, err := c.nc.Write(frame); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c.br, echo); err != nil || string(echo[2:]) != msg {
			t.Fatalf("echo %q, %v", echo, err)
		}
	}
	for range 100 {
		round()
	}
	if allocs := testing.AllocsPerRun(500, round); allocs != 0 {
		t.Errorf("%.2f allocations per echoed message on a watched connection, want 0", allocs)
	}
}
