package websocket_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/brick-server/brick/nethttp"
)

// netHTTPServers are unchanged net/http WebSocket servers, the two most
// used libraries, each an echo: Brick runs them through package nethttp,
// whose ResponseWriter hijacks as net/http's does.
var netHTTPServers = []struct {
	name string
	h    http.Handler
}{
	{"coder", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, &coder.AcceptOptions{CompressionMode: coder.CompressionContextTakeover})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(2 << 20)
		ctx := context.Background()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				if s := coder.CloseStatus(err); s != -1 {
					c.Close(s, "")
				}
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	})},
	{"gorilla", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := gorilla.Upgrader{EnableCompression: true}
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})},
}

// TestNetHTTPServers runs coder/websocket's and gorilla's servers
// unchanged on Brick through the adapter, and talks to each with both
// libraries' clients, compressed or not, and with the raw client.
func TestNetHTTPServers(t *testing.T) {
	t.Parallel()
	for _, srv := range netHTTPServers {
		addr := serve(t, nethttp.Handler(srv.h))
		for _, cl := range clients {
			for _, compress := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/compress=%v", srv.name, cl.name, compress), func(t *testing.T) {
					cl.run(t, addr, compress)
				})
			}
		}
		t.Run(srv.name+"/raw", func(t *testing.T) {
			c := dialRaw(t, addr, "/")
			c.frame(false, 0, 1, []byte("frag"), false)
			c.frame(true, 0, 9, []byte("ping"), false)
			c.frame(true, 0, 0, []byte("mented"), false)
			if _, got := c.readData(); got != "fragmented" {
				t.Errorf("echo %q", got)
			}
			c.send(8, "\x03\xe8")
			if code := c.closeCode(); code != 1000 {
				t.Errorf("close code %d", code)
			}
		})
	}
}
