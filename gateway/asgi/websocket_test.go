package asgi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	coder "github.com/coder/websocket"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/internal/testutil"
)

// startWS serves testdata/apps/wsapp.py (FastAPI and Starlette routes).
func startWS(t *testing.T) *gateway {
	return startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "wsapp:application"}}, "fastapi", "starlette")
}

func (g *gateway) ws() string { return "ws" + strings.TrimPrefix(g.url, "http") }

func dial(t *testing.T, ctx context.Context, g *gateway, path string, o *coder.DialOptions) *coder.Conn {
	t.Helper()
	c, _, err := coder.Dial(ctx, g.ws()+path, o)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c.SetReadLimit(32 << 20)
	return c
}

// seen reads what wsapp.py recorded.
func (g *gateway) seen(t *testing.T) map[string]any {
	t.Helper()
	r := g.mustGet(t, "/seen", 200)
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWebSocketScope drives FastAPI and Starlette WebSocket routes with
// coder/websocket: echo of text, binary and 1 MiB messages, compressed
// and not; the subprotocol and headers of the accept; close codes both
// ways; the denial response; a close before accept (403); an application
// that raises (1011); a send after the disconnect (OSError, ASGI 2.4).
func TestWebSocketScope(t *testing.T) {
	t.Parallel()
	g := startWS(t)
	big := make([]byte, 1<<20)
	rand.Read(big)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("echo", func(t *testing.T) {
		for _, mode := range []coder.CompressionMode{coder.CompressionDisabled, coder.CompressionNoContextTakeover} {
			c, resp, err := coder.Dial(ctx, g.ws()+"/echo", &coder.DialOptions{Subprotocols: []string{"chat", "other"}, CompressionMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			c.SetReadLimit(32 << 20)
			if c.Subprotocol() != "chat" || resp.Header.Get("X-Brick") != "yes" {
				t.Errorf("subprotocol %q, X-Brick %q", c.Subprotocol(), resp.Header.Get("X-Brick"))
			}
			for _, m := range []struct {
				typ  coder.MessageType
				data []byte
			}{{coder.MessageText, []byte("héllo")}, {coder.MessageBinary, []byte{0, 1, 2}}, {coder.MessageText, []byte("")},
				{coder.MessageBinary, big}, {coder.MessageText, bytes.Repeat([]byte("a"), 1<<20)}} {
				if err := c.Write(ctx, m.typ, m.data); err != nil {
					t.Fatal(err)
				}
				typ, got, err := c.Read(ctx)
				if err != nil || typ != m.typ || !bytes.Equal(got, m.data) {
					t.Fatalf("echo of %d bytes: type %v, %d bytes, %v", len(m.data), typ, len(got), err)
				}
			}
			c.Write(ctx, coder.MessageText, []byte("scheme"))
			if _, got, _ := c.Read(ctx); string(got) != "ws" {
				t.Errorf("scope scheme %q, want ws", got)
			}
			c.Close(4002, "bye")
		}
	})
	t.Run("server-close", func(t *testing.T) {
		c := dial(t, ctx, g, "/echo", nil)
		c.Write(ctx, coder.MessageText, []byte("close:4001"))
		_, _, err := c.Read(ctx)
		var ce coder.CloseError
		if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "asked to" {
			t.Fatalf("read after close:4001: %v", err)
		}
	})
	t.Run("starlette", func(t *testing.T) {
		c := dial(t, ctx, g, "/star", nil)
		c.Write(ctx, coder.MessageText, []byte("hi"))
		if _, got, err := c.Read(ctx); err != nil || string(got) != "star:hi" {
			t.Fatalf("got %q, %v", got, err)
		}
		c.Close(coder.StatusNormalClosure, "")
	})
	t.Run("denial", func(t *testing.T) {
		for _, tc := range []struct {
			path   string
			status int
			body   string
		}{{"/deny", 401, "denied"}, {"/refuse", 403, "Forbidden\n"}} {
			_, resp, err := coder.Dial(ctx, g.ws()+tc.path, nil)
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("%s: %v, %+v; want %d", tc.path, err, resp, tc.status)
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tc.body {
				t.Errorf("%s: body %q, want %q", tc.path, b, tc.body)
			}
			if tc.status == 401 && resp.Header.Get("Www-Authenticate") != "Bearer" {
				t.Errorf("denial headers %v", resp.Header)
			}
		}
	})
	t.Run("raises", func(t *testing.T) {
		c := dial(t, ctx, g, "/boom", nil)
		c.Write(ctx, coder.MessageText, []byte("x"))
		_, _, err := c.Read(ctx)
		if coder.CloseStatus(err) != coder.StatusInternalError {
			t.Fatalf("read from a raising app: %v, want 1011", err)
		}
		g.log.waitFor(t, 5*time.Second, "RuntimeError: boom")
	})
	t.Run("send-after-disconnect", func(t *testing.T) {
		c := dial(t, ctx, g, "/after", nil)
		c.Close(4005, "leaving")
		deadline := time.Now().Add(5 * time.Second)
		for g.seen(t)["after"] != "OSError" {
			if time.Now().After(deadline) {
				t.Fatalf("send after disconnect: %v", g.seen(t)["after"])
			}
			time.Sleep(20 * time.Millisecond)
		}
		codes, _ := g.seen(t)["disconnects"].([]any)
		found := false
		for _, c := range codes {
			found = found || c == float64(4002)
		}
		if !found {
			t.Errorf("the application saw disconnect codes %v; want 4002 among them", codes)
		}
	})
}

// TestWebSocketSlowClient: a client that never reads makes the
// application's send() wait once the window and the socket buffers are
// full; Python does not buffer without bound.
func TestWebSocketSlowClient(t *testing.T) {
	t.Parallel()
	g := startWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dial(t, ctx, g, "/flood", nil)
	defer c.CloseNow()
	count := func() float64 { f, _ := g.seen(t)["sent"].(float64); return f }
	time.Sleep(time.Second)
	a := count()
	time.Sleep(500 * time.Millisecond)
	b := count()
	// 64 KiB messages; loopback socket buffers hold a few MiB at most.
	if a != b || b > 400 {
		t.Fatalf("sent %v then %v messages of 64 KiB to a client that never reads; want a stable count under 400", a, b)
	}
	// Reading again lets the application go on.
	for range 10 {
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWebSocketMany holds 1,000 WebSockets open at once on one worker,
// each echoing its own messages, then closes them all cleanly: every
// application sees the client's 1000.
func TestWebSocketMany(t *testing.T) {
	t.Parallel()
	const n = 1000
	// Each connection costs the test a descriptor for its client, one for
	// the server's side and one for the engine's watch of it.
	testutil.NeedOpenFiles(t, 3*n+200)
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "wsapp:application"}, MaxStreams: n + 10}, "fastapi", "starlette")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	before := len(g.seen(t)["disconnects"].([]any))
	conns := make([]*coder.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	// Dialled 50 at a time: a burst of 1,000 handshakes would overflow
	// the listen backlog.
	sem := make(chan struct{}, 50)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := coder.Dial(ctx, g.ws()+"/echo", nil)
			if err != nil {
				errs <- fmt.Errorf("dial %d: %w", i, err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(<-errs)
	}
	// All open at once: now each echoes, all in parallel.
	for i, c := range conns {
		wg.Go(func() {
			for k := range 3 {
				msg := []byte(fmt.Sprintf("%d-%d-%s", i, k, strings.Repeat("m", i%100)))
				if err := c.Write(ctx, coder.MessageBinary, msg); err != nil {
					errs <- err
					return
				}
				if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
					errs <- errors.Join(err, fmt.Errorf("connection %d: echo %q, want %q", i, got, msg))
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(<-errs)
	}
	for _, c := range conns {
		wg.Go(func() {
			if err := c.Close(coder.StatusNormalClosure, ""); err != nil {
				errs <- fmt.Errorf("close: %w", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Each application got its websocket.disconnect with 1000.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds := g.seen(t)["disconnects"].([]any)[before:]
		normal := 0
		for _, d := range ds {
			if d == float64(1000) {
				normal++
			}
		}
		if normal == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d applications saw the client's 1000 (%d disconnects)", normal, n, len(ds))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWebSocketPythonClient talks to a FastAPI route with Python's
// websockets library: subprotocol, echo, the server's close code.
func TestWebSocketPythonClient(t *testing.T) {
	t.Parallel()
	py := testutil.NeedPython(t, "websockets")
	g := startWS(t)
	script := `
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], subprotocols=["chat"], max_size=None) as ws:
        await ws.send("x" * (1 << 20))
        assert await ws.recv() == "x" * (1 << 20)
        await ws.send("close:4009")
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            print(ws.subprotocol, e.rcvd.code)
asyncio.run(main())
`
	out, err := exec.Command(py, "-c", script, g.ws()+"/echo").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "chat 4009" {
		t.Fatalf("python websockets client: %v\n%s", err, out)
	}
}

// TestWebSocketReload: a reload does not cut an open WebSocket. Its
// messages still flow through the old worker, a new connection goes to
// the new worker, and at WSGrace the old one closes with 1001, whether
// WSGrace is longer than Grace (the WebSocket outlives it) or shorter (it
// is not kept until Grace).
func TestWebSocketReload(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		grace, wsGrace time.Duration
		echoAfter      time.Duration // the old WebSocket still echoes then
	}{
		{"ws_grace longer than grace", 500 * time.Millisecond, 2 * time.Second, time.Second},
		{"ws_grace shorter than grace", 30 * time.Second, time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "wsapp:application", Grace: tc.grace}, WSGrace: tc.wsGrace}, "fastapi", "starlette")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pid := func(c *coder.Conn) string {
				t.Helper()
				if err := c.Write(ctx, coder.MessageText, []byte("pid")); err != nil {
					t.Fatal(err)
				}
				_, p, err := c.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return string(p)
			}
			old := dial(t, ctx, g, "/echo", nil)
			before := pid(old)
			if err := g.pool.Reload(); err != nil {
				t.Fatal(err)
			}
			retired := time.Now()
			time.Sleep(tc.echoAfter)
			if p := pid(old); p != before {
				t.Fatalf("after the reload the old WebSocket answered from pid %s, want %s", p, before)
			}
			fresh := dial(t, ctx, g, "/echo", nil)
			if p := pid(fresh); p == before {
				t.Fatalf("a new WebSocket after the reload went to the old worker %s", p)
			}
			_, _, err := old.Read(ctx)
			if coder.CloseStatus(err) != coder.StatusGoingAway {
				t.Fatalf("the old WebSocket at ws_grace: %v, want 1001", err)
			}
			if d := time.Since(retired); d < tc.wsGrace || d > tc.wsGrace+5*time.Second {
				t.Errorf("the old WebSocket closed %v after the reload, want about ws_grace (%v)", d, tc.wsGrace)
			}
			if p := pid(fresh); p == before {
				t.Fatal("the new WebSocket was closed too")
			}
			fresh.Close(coder.StatusNormalClosure, "")
		})
	}
}

// TestLongPollDisconnect: an application waiting in receive() for a
// request it never answers learns within about a second that the client
// left, without writing first (http.disconnect).
func TestLongPollDisconnect(t *testing.T) {
	t.Parallel()
	g := startWS(t)
	nc, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("GET /longpoll HTTP/1.1\r\nHost: x\r\n\r\n"))
	deadline := time.Now().Add(5 * time.Second)
	for g.seen(t)["longpoll"] != "waiting" {
		if time.Now().After(deadline) {
			t.Fatal("the long poll did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	nc.Close()
	deadline = time.Now().Add(5 * time.Second)
	for g.seen(t)["longpoll"] != "http.disconnect" {
		if time.Now().After(deadline) {
			t.Fatalf("the application saw %v, want http.disconnect within 5 s of the client leaving", g.seen(t)["longpoll"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWebSocketIdleGoroutines: open WebSockets that are idle hold no
// goroutine of Brick's (the server watches them; the writer runs only
// while messages wait), whatever the clients' own goroutines.
func TestWebSocketIdleGoroutines(t *testing.T) {
	g := startWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brick := func() int {
		buf := make([]byte, 8<<20)
		n := 0
		for _, gr := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(gr, "brick/websocket.") || strings.Contains(gr, "brick/gateway/asgi.(*Handler)") ||
				strings.Contains(gr, "brick/gateway/asgi.(*stream)") || strings.Contains(gr, "brick/gateway/asgi.toWorker") {
				n++
			}
		}
		return n
	}
	before := brick()
	const n = 100
	for range n {
		c := dial(t, ctx, g, "/echo", nil)
		defer c.CloseNow()
		c.Write(ctx, coder.MessageText, []byte("x"))
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if after := brick(); after-before > 5 {
		t.Fatalf("%d idle ASGI WebSockets hold %d goroutines of Brick's (%d before)", n, after-before, before)
	}
}

// TestWebSocketClose: closing the pool (a stop) closes open WebSockets at
// once with 1001, those of workers retired by a reload included, instead
// of keeping them for WSGrace.
func TestWebSocketClose(t *testing.T) {
	t.Parallel()
	g := startWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	old := dial(t, ctx, g, "/echo", nil)
	old.Write(ctx, coder.MessageText, []byte("x"))
	old.Read(ctx)
	if err := g.pool.Reload(); err != nil {
		t.Fatal(err)
	}
	fresh := dial(t, ctx, g, "/echo", nil)
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		g.pool.Close()
		close(closed)
	}()
	for _, c := range []*coder.Conn{old, fresh} {
		if _, _, err := c.Read(ctx); coder.CloseStatus(err) != coder.StatusGoingAway {
			t.Errorf("read during Close: %v, want 1001", err)
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waits 10 s after its WebSockets closed")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
}
