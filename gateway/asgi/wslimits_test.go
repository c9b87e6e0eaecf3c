package asgi_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/wire/wsframe"
)

// TestWebSocketLimits: ws_max_size and ws_ping_interval (uvicorn's
// --ws-max-size and --ws-ping-interval) reach the connections: a message
// one byte over the limit closes the WebSocket with 1009, one at the
// limit echoes; pings arrive at the configured interval while the client
// answers them.
func TestWebSocketLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  asgi.Config
		run  func(t *testing.T, g *gateway)
	}{
		{"max size gives 1009", asgi.Config{WSMaxSize: 1000}, func(t *testing.T, g *gateway) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := dial(t, ctx, g, "/echo", nil)
			defer c.CloseNow()
			at := strings.Repeat("a", 1000)
			if err := c.Write(ctx, coder.MessageText, []byte(at)); err != nil {
				t.Fatal(err)
			}
			if _, got, err := c.Read(ctx); err != nil || string(got) != at {
				t.Fatalf("a message at the limit: %d bytes back, %v", len(got), err)
			}
			if err := c.Write(ctx, coder.MessageText, []byte(at+"b")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Read(ctx); coder.CloseStatus(err) != coder.StatusMessageTooBig {
				t.Fatalf("a message one byte over the limit: %v, want close 1009", err)
			}
		}},
		{"pings at the interval", asgi.Config{WSPingInterval: 300 * time.Millisecond}, func(t *testing.T, g *gateway) {
			rc := dialPong(t, g)
			var at []time.Duration
			for len(at) < 4 {
				at = append(at, rc.nextPing(t, 10*time.Second))
			}
			// The first ping comes an interval after the accept; each
			// next one an interval after the pong that answered the last.
			for i := 1; i < len(at); i++ {
				gap := at[i] - at[i-1]
				if gap < 250*time.Millisecond || gap > 2*time.Second {
					t.Errorf("pings %d and %d came %v apart, want about 300ms (pings at %v)", i, i+1, gap, at)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.App = "wsapp:application"
			tc.run(t, startGateway(t, cfg, "fastapi", "starlette"))
		})
	}
}

// pongClient is a WebSocket client that reads frames raw, answering
// pings, so that a test sees when each ping arrives.
type pongClient struct {
	nc    net.Conn
	br    *bufio.Reader
	start time.Time
}

func dialPong(t *testing.T, g *gateway) *pongClient {
	t.Helper()
	u, _ := url.Parse(g.url)
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	var key [16]byte
	rand.Read(key[:])
	fmt.Fprintf(nc, "GET /echo HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", u.Host, base64.StdEncoding.EncodeToString(key[:]))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return &pongClient{nc: nc, br: br, start: time.Now()}
}

// nextPing reads frames until a ping, answers it, and returns when it
// came, counted from the handshake.
func (c *pongClient) nextPing(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(within))
	b, err := c.br.Peek(2)
	if err != nil {
		t.Fatalf("no ping within %v: %v", within, err)
	}
	hb, err := c.br.Peek(wsframe.HeaderLen(b[1]))
	if err != nil {
		t.Fatal(err)
	}
	h, n, err := wsframe.Parser{}.ParseHeader(hb)
	if err != nil {
		t.Fatal(err)
	}
	c.br.Discard(n)
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		t.Fatal(err)
	}
	if h.Op != wsframe.OpPing {
		t.Fatalf("a frame of opcode %d where only pings were expected", h.Op)
	}
	when := time.Since(c.start)
	mask := [4]byte{1, 2, 3, 4}
	f := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Op: wsframe.OpPong, Masked: true, Mask: mask, Length: int64(len(payload))})
	wsframe.Mask(mask, 0, payload)
	if _, err := c.nc.Write(append(f, payload...)); err != nil {
		t.Fatal(err)
	}
	return when
}
