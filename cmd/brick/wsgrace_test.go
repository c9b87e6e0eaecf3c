//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"

	"github.com/brick-server/brick/internal/testutil"
)

// wsApp echoes each text message prefixed with the VERSION its worker
// was started with, so a test tells which worker (and process) serves a
// WebSocket.
const wsApp = `import os

VERSION = os.environ.get("VERSION", "?")

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": VERSION.encode()})
        return
    while True:
        m = await receive()
        if m["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif m["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": VERSION + " " + m["text"]})
        else:
            return
`

const wsConf = `
[server]
listen = ["127.0.0.1:0"]
shutdown_timeout = "20s"
ws_grace = "{{ws_grace}}"

[log]
access = "off"

[[site]]
  [[site.route]]
  path = "/"
  asgi = { app = "wsapp:app", chdir = ".", python = "{{python}}", workers = 1, grace = "{{grace}}", env = { VERSION = "{{version}}" } }
`

// wsClient is one WebSocket to brick, read by the test one message at
// a time.
type wsClient struct {
	c *websocket.Conn
}

func dialWS(t *testing.T, addr string) *wsClient {
	t.Helper()
	return dialWSPath(t, addr, "/")
}

func dialWSPath(t *testing.T, addr, path string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+path, nil)
	if err != nil {
		t.Fatalf("dial ws://%s%s: %v", addr, path, err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{c: c}
}

// echo sends msg and returns the answer.
func (w *wsClient) echo(t *testing.T, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	_, b, err := w.c.Read(ctx)
	if err != nil {
		t.Fatalf("read the echo of %q: %v", msg, err)
	}
	return string(b)
}

// closed waits up to within for the server's close and returns its
// code, and how long it took.
func (w *wsClient) closed(t *testing.T, within time.Duration) (websocket.StatusCode, time.Duration) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err == nil {
		t.Fatalf("a message (%q) where the close was expected", b)
	}
	if ctx.Err() != nil {
		t.Fatalf("no close from the server within %v", within)
	}
	return websocket.CloseStatus(err), time.Since(start)
}

// waitNewProcess returns the pid of the process a SIGUSR2 started, and a
// channel closed when it exits; the test, a subreaper, reaps it once the
// old process, its parent, has exited.
func waitNewProcess(t *testing.T, p *runProc) (int, chan struct{}) {
	t.Helper()
	m := p.waitLog(t, regexp.MustCompile(`msg="the new process serves; draining this one" new_pid=(\d+)`), 1, 60*time.Second)
	pid, _ := strconv.Atoi(m[1])
	// The old process stops accepting as its drain starts, a few
	// milliseconds after that line: a connection dialled in between may
	// still be its own (served by the old code, as it should be). The
	// tests want the new process's, so they wait for the drain to start,
	// and a moment for the listeners to close after its line.
	p.waitLog(t, regexp.MustCompile(`msg="shutting down: finishing requests in flight"`), 1, 60*time.Second)
	time.Sleep(100 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		<-p.done
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
		close(done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // exited already, unless the test failed
		syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return pid, done
}

// TestWebSocketsAcrossReloadAndUpgrade runs `brick run` with an ASGI
// WebSocket echo and checks what issue 13 promises: a SIGHUP reload
// (which here changes the route, so a new pool replaces the old one) and
// a SIGUSR2 binary upgrade never cut an open WebSocket; it keeps echoing
// from the code it was accepted by, past the workers' grace, while new
// WebSockets go to the new code; the old process leaves once its
// WebSockets close. With a short ws_grace ([server], which the asgi
// route takes) they end with 1001 (going away) when it ends, even though
// the request grace is longer.
func TestWebSocketsAcrossReloadAndUpgrade(t *testing.T) {
	testutil.NeedPython(t)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	real, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	setup := func(t *testing.T, grace, wsGrace string) (dir string, conf func(version string)) {
		dir = t.TempDir()
		deploy(t, filepath.Join(dir, "brick"), real)
		if err := os.WriteFile(filepath.Join(dir, "wsapp.py"), []byte(wsApp), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, func(version string) {
			writeConf(t, dir, strings.NewReplacer("{{version}}", version, "{{grace}}", grace, "{{ws_grace}}", wsGrace).Replace(wsConf))
		}
	}
	reloaded := regexp.MustCompile(`msg="reloaded the configuration"`)

	t.Run("kept until they close", func(t *testing.T) {
		dir, conf := setup(t, "1s", "1h")
		conf("v1")
		p := startRun(t, filepath.Join(dir, "brick"), dir, nil)
		ws1 := dialWS(t, p.addr)
		if got := ws1.echo(t, "a"); got != "v1 a" {
			t.Fatalf("echo = %q, want v1 a", got)
		}

		conf("v2")
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, reloaded, 1, 60*time.Second)
		ws2 := dialWS(t, p.addr)
		if got := ws2.echo(t, "b"); got != "v2 b" {
			t.Fatalf("a WebSocket opened after the reload: %q, want v2 b", got)
		}
		// Past the old workers' request grace (1s), the WebSocket is
		// still theirs and still echoes.
		time.Sleep(1500 * time.Millisecond)
		if got := ws1.echo(t, "c"); got != "v1 c" {
			t.Fatalf("the WebSocket opened before the reload: %q, want v1 c", got)
		}

		conf("v3")
		p.cmd.Process.Signal(syscall.SIGUSR2)
		_, newDone := waitNewProcess(t, p)
		ws3 := dialWS(t, p.addr)
		if got := ws3.echo(t, "d"); got != "v3 d" {
			t.Fatalf("a WebSocket opened after the upgrade: %q, want v3 d", got)
		}
		time.Sleep(1500 * time.Millisecond)
		for _, tc := range []struct {
			ws   *wsClient
			want string
		}{{ws1, "v1 e"}, {ws2, "v2 e"}} {
			if got := tc.ws.echo(t, "e"); got != tc.want {
				t.Fatalf("after the upgrade, an old WebSocket echoes %q, want %q", got, tc.want)
			}
		}
		select {
		case <-p.done:
			t.Fatal("the old process exited with WebSockets open")
		default:
		}
		ws1.c.Close(websocket.StatusNormalClosure, "")
		ws2.c.Close(websocket.StatusNormalClosure, "")
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Fatal("the old process did not exit once its WebSockets closed")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("the old process exited with %d, want 0", code)
		}
		if got := ws3.echo(t, "f"); got != "v3 f" {
			t.Errorf("the new process's WebSocket: %q, want v3 f", got)
		}
		select {
		case <-newDone:
			t.Error("the new process exited")
		default:
		}
	})

	t.Run("ws_grace ends with 1001", func(t *testing.T) {
		const wsGrace = 2 * time.Second
		// The request grace (30s) is longer than ws_grace: a WebSocket is
		// bounded by ws_grace alone.
		dir, conf := setup(t, "30s", wsGrace.String())
		conf("v1")
		p := startRun(t, filepath.Join(dir, "brick"), dir, nil)
		ws1 := dialWS(t, p.addr)
		if got := ws1.echo(t, "a"); got != "v1 a" {
			t.Fatalf("echo = %q, want v1 a", got)
		}
		conf("v2")
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, reloaded, 1, 60*time.Second)
		if got := ws1.echo(t, "b"); got != "v1 b" {
			t.Fatalf("right after the reload: %q, want v1 b", got)
		}
		ws2 := dialWS(t, p.addr)
		if code, after := ws1.closed(t, wsGrace+10*time.Second); code != websocket.StatusGoingAway {
			t.Errorf("after the reload's ws_grace the WebSocket closed with %d (after %v), want 1001", code, after)
		}
		if got := ws2.echo(t, "c"); got != "v2 c" {
			t.Fatalf("the WebSocket opened after the reload: %q, want v2 c", got)
		}

		conf("v3")
		p.cmd.Process.Signal(syscall.SIGUSR2)
		waitNewProcess(t, p)
		if got := ws2.echo(t, "d"); got != "v2 d" {
			t.Fatalf("right after the upgrade: %q, want v2 d", got)
		}
		ws3 := dialWS(t, p.addr)
		if got := ws3.echo(t, "e"); got != "v3 e" {
			t.Fatalf("a WebSocket opened after the upgrade: %q, want v3 e", got)
		}
		if code, after := ws2.closed(t, wsGrace+10*time.Second); code != websocket.StatusGoingAway {
			t.Errorf("after the upgrade's ws_grace the WebSocket closed with %d (after %v), want 1001", code, after)
		}
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Fatal("the old process did not exit after ws_grace")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("the old process exited with %d, want 0", code)
		}
		if got := ws3.echo(t, "f"); got != "v3 f" {
			t.Errorf("the new process's WebSocket: %q, want v3 f", got)
		}
	})

	// A stop (SIGTERM) closes every WebSocket at once with 1001, those of
	// a pool a reload retired too, and the process exits promptly.
	t.Run("a stop closes them at once", func(t *testing.T) {
		dir, conf := setup(t, "1s", "1h")
		conf("v1")
		p := startRun(t, filepath.Join(dir, "brick"), dir, nil)
		ws1 := dialWS(t, p.addr)
		if got := ws1.echo(t, "a"); got != "v1 a" {
			t.Fatalf("echo = %q, want v1 a", got)
		}
		conf("v2")
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, reloaded, 1, 60*time.Second)
		ws2 := dialWS(t, p.addr)
		if got := ws2.echo(t, "b"); got != "v2 b" {
			t.Fatalf("echo = %q, want v2 b", got)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		for i, ws := range []*wsClient{ws1, ws2} {
			if code, after := ws.closed(t, 10*time.Second); code != websocket.StatusGoingAway {
				t.Errorf("WebSocket %d: on a stop it closed with %d (after %v), want 1001", i+1, code, after)
			}
		}
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			t.Fatal("brick did not exit after SIGTERM")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
	})
}
