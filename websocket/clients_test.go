package websocket_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

// message is one message of the echo conversations below.
type message struct {
	text bool
	data []byte
}

// conversation has small and empty messages, text beyond ASCII, and 1 MiB
// messages both incompressible and compressible.
func conversation() []message {
	random := make([]byte, 1<<20)
	rand.Read(random)
	return []message{
		{true, []byte("hello")},
		{true, nil},
		{false, []byte{0, 1, 2, 0xff}},
		{true, []byte(strings.Repeat("héllo wörld ✓ ", 300))},
		{false, random},
		{true, []byte(strings.Repeat("a compressible line of text\n", (1<<20)/28))},
		{true, []byte("bye")},
	}
}

// echoClient is one Go WebSocket client library.
type echoClient struct {
	name string
	// run dials addr, sends each message and checks the echo, then closes
	// with code 4000 and returns the extension the server agreed to.
	run func(t *testing.T, addr string, compress bool) string
}

var clients = []echoClient{
	{"coder", func(t *testing.T, addr string, compress bool) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		mode := coder.CompressionDisabled
		if compress {
			mode = coder.CompressionContextTakeover
		}
		c, resp, err := coder.Dial(ctx, "ws://"+addr+"/", &coder.DialOptions{CompressionMode: mode, CompressionThreshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadLimit(2 << 20)
		for i, m := range conversation() {
			typ := coder.MessageBinary
			if m.text {
				typ = coder.MessageText
			}
			if err := c.Write(ctx, typ, m.data); err != nil {
				t.Fatal(err)
			}
			gt, got, err := c.Read(ctx)
			if err != nil || gt != typ || !bytes.Equal(got, m.data) {
				t.Fatalf("message %d: echo %v of %d bytes, %v; sent %v of %d", i, gt, len(got), err, typ, len(m.data))
			}
		}
		if err := c.Close(4000, "done"); err != nil {
			t.Errorf("close: %v", err)
		}
		return resp.Header.Get("Sec-WebSocket-Extensions")
	}},
	{"gorilla", func(t *testing.T, addr string, compress bool) string {
		d := gorilla.Dialer{EnableCompression: compress, HandshakeTimeout: 10 * time.Second}
		c, resp, err := d.Dial("ws://"+addr+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for i, m := range conversation() {
			typ := gorilla.BinaryMessage
			if m.text {
				typ = gorilla.TextMessage
			}
			if err := c.WriteMessage(typ, m.data); err != nil {
				t.Fatal(err)
			}
			gt, got, err := c.ReadMessage()
			if err != nil || gt != typ || !bytes.Equal(got, m.data) {
				t.Fatalf("message %d: echo %v of %d bytes, %v", i, gt, len(got), err)
			}
		}
		c.WriteControl(gorilla.CloseMessage, gorilla.FormatCloseMessage(4000, "done"), time.Now().Add(5*time.Second))
		_, _, err = c.ReadMessage()
		if !gorilla.IsCloseError(err, 4000) {
			t.Errorf("after closing, read %v; want the echoed 4000", err)
		}
		return resp.Header.Get("Sec-WebSocket-Extensions")
	}},
}

// TestGoClients echoes a conversation with coder/websocket and gorilla,
// with and without permessage-deflate, and with the client allowed to take
// its compression context over or not.
func TestGoClients(t *testing.T) {
	t.Parallel()
	servers := []struct {
		name string
		opts websocket.Options
		want string // the agreed extension when the client compresses
	}{
		{"plain", websocket.Options{}, ""},
		{"deflate", websocket.Options{Compression: true}, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"deflate-client-takeover", websocket.Options{Compression: true, Deflate: &wsframe.Deflate{ClientMaxWindowBits: 10}}, "permessage-deflate; server_no_context_takeover"},
	}
	for _, srv := range servers {
		e := newEcho(srv.opts)
		addr := serve(t, e)
		for _, cl := range clients {
			for _, compress := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/compress=%v", srv.name, cl.name, compress), func(t *testing.T) {
					ext := cl.run(t, addr, compress)
					t.Logf("agreed %q", ext)
					want := ""
					if compress {
						want = srv.want
					}
					// gorilla offers client_max_window_bits, which the
					// server then lowers to what it asked.
					if !strings.HasPrefix(ext, want) || want == "" && ext != "" {
						t.Errorf("agreed extension %q, want %q", ext, want)
					}
					if code := websocket.CloseCode(e.wait(t)); code != 4000 {
						t.Errorf("handler saw close code %d, want 4000", code)
					}
				})
			}
		}
	}
}
