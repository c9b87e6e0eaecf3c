package websocket_test

import (
	"context"
	"testing"

	coder "github.com/coder/websocket"

	"github.com/brick-server/brick/nethttp"
)

// BenchmarkNetHTTPEcho is one message's round trip to coder/websocket's
// and gorilla's servers through the adapter, whose hijacked connections
// TrackForeign follows: what following their frames costs.
func BenchmarkNetHTTPEcho(b *testing.B) {
	for _, srv := range netHTTPServers {
		b.Run(srv.name, func(b *testing.B) {
			addr := serve(b, nethttp.Handler(srv.h))
			ctx := context.Background()
			c, _, err := coder.Dial(ctx, "ws://"+addr+"/", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			msg := make([]byte, 1<<10)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for range b.N {
				if err := c.Write(ctx, coder.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
