//go:build linux

package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"
)

// wsUpstream is a WebSocket echo (coder/websocket, a real server: it
// refuses unmasked frames) that prefixes each answer with its name, and
// reports the close code each of its WebSockets ended with.
type wsUpstream struct {
	url    string
	closes chan websocket.StatusCode
}

func startWSUpstream(t *testing.T, name string) *wsUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &wsUpstream{url: "http://" + ln.Addr().String(), closes: make(chan websocket.StatusCode, 16)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(context.Background())
			if err != nil {
				u.closes <- websocket.CloseStatus(err)
				return
			}
			if err := c.Write(context.Background(), typ, append([]byte(name+" "), b...)); err != nil {
				return
			}
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return u
}

// closedWith waits for the close code one of u's WebSockets ended with
// (-1: cut without a close frame).
func (u *wsUpstream) closedWith(t *testing.T, within time.Duration) websocket.StatusCode {
	t.Helper()
	select {
	case code := <-u.closes:
		return code
	case <-time.After(within):
		t.Fatalf("the upstream %s saw no end of its WebSocket within %v", u.url, within)
		return 0
	}
}

const proxyWSConf = `
[server]
listen = ["127.0.0.1:0"]
shutdown_timeout = "20s"
ws_grace = "{{ws_grace}}"

[log]
access = "off"

[[site]]
  [[site.route]]
  path = "/"
  proxy = { to = ["{{to}}"] }
`

// TestProxiedWebSocketsAcrossReloadAndUpgrade runs `brick run` with a
// proxy route to a WebSocket upstream and checks that a proxied
// WebSocket is kept as Brick's own are: a SIGHUP reload that leaves the
// route as it was keeps it for good; one that changes the route keeps it
// on the old upstream for ws_grace, then closes it with 1001 to the
// client and (masked, as a client) to the upstream; a SIGUSR2 upgrade
// keeps it until it closes or ws_grace ends (1001 both ways); a stop
// closes it with 1001 at once. New WebSockets go to the new route or
// process.
func TestProxiedWebSocketsAcrossReloadAndUpgrade(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	real, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	reloaded := regexp.MustCompile(`msg="reloaded the configuration"`)
	const short = 2 * time.Second

	type env struct {
		p    *runProc
		a, b *wsUpstream
		conf func(up *wsUpstream)
	}
	start := func(t *testing.T, wsGrace time.Duration) *env {
		dir := t.TempDir()
		deploy(t, filepath.Join(dir, "brick"), real)
		e := &env{a: startWSUpstream(t, "A"), b: startWSUpstream(t, "B")}
		e.conf = func(up *wsUpstream) {
			writeConf(t, dir, strings.NewReplacer("{{ws_grace}}", wsGrace.String(), "{{to}}", up.url).Replace(proxyWSConf))
		}
		e.conf(e.a)
		e.p = startRun(t, filepath.Join(dir, "brick"), dir, nil)
		return e
	}
	echo := func(t *testing.T, ws *wsClient, msg, want string) {
		t.Helper()
		if got := ws.echo(t, msg); got != want {
			t.Fatalf("echo of %q: %q, want %q", msg, got, want)
		}
	}
	goingAway := func(t *testing.T, what string, ws *wsClient, up *wsUpstream, within time.Duration) {
		t.Helper()
		if code, after := ws.closed(t, within); code != websocket.StatusGoingAway {
			t.Errorf("%s: the client's WebSocket closed with %d (after %v), want 1001", what, code, after)
		}
		if code := up.closedWith(t, 10*time.Second); code != websocket.StatusGoingAway {
			t.Errorf("%s: the upstream's WebSocket closed with %d, want 1001", what, code)
		}
	}
	exited := func(t *testing.T, p *runProc, within time.Duration) {
		t.Helper()
		select {
		case <-p.done:
		case <-time.After(within):
			t.Fatalf("brick did not exit within %v", within)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("brick exited with %d, want 0", code)
		}
	}

	t.Run("reload, route unchanged: kept", func(t *testing.T) {
		t.Parallel()
		e := start(t, short)
		ws1 := dialWS(t, e.p.addr)
		echo(t, ws1, "a", "A a")
		e.p.cmd.Process.Signal(syscall.SIGHUP)
		e.p.waitLog(t, reloaded, 1, 30*time.Second)
		time.Sleep(short + time.Second)
		echo(t, ws1, "b", "A b")
		ws2 := dialWS(t, e.p.addr)
		echo(t, ws2, "c", "A c")
	})

	t.Run("reload, route changed: ws_grace, then 1001", func(t *testing.T) {
		t.Parallel()
		e := start(t, short)
		ws1 := dialWS(t, e.p.addr)
		echo(t, ws1, "a", "A a")
		e.conf(e.b)
		e.p.cmd.Process.Signal(syscall.SIGHUP)
		e.p.waitLog(t, reloaded, 1, 30*time.Second)
		echo(t, ws1, "b", "A b")
		ws2 := dialWS(t, e.p.addr)
		echo(t, ws2, "c", "B c")
		goingAway(t, "at the end of the reload's ws_grace", ws1, e.a, short+10*time.Second)
		echo(t, ws2, "d", "B d")
	})

	t.Run("upgrade: kept until closed", func(t *testing.T) {
		t.Parallel()
		e := start(t, time.Hour)
		ws1 := dialWS(t, e.p.addr)
		echo(t, ws1, "a", "A a")
		e.conf(e.b)
		e.p.cmd.Process.Signal(syscall.SIGUSR2)
		_, newDone := waitNewProcess(t, e.p)
		echo(t, ws1, "b", "A b")
		ws2 := dialWS(t, e.p.addr)
		echo(t, ws2, "c", "B c")
		time.Sleep(time.Second)
		select {
		case <-e.p.done:
			t.Fatal("the old process exited with a proxied WebSocket open")
		default:
		}
		echo(t, ws1, "d", "A d")
		ws1.c.Close(websocket.StatusNormalClosure, "")
		if code := e.a.closedWith(t, 10*time.Second); code != websocket.StatusNormalClosure {
			t.Errorf("the upstream saw the client's close as %d, want 1000", code)
		}
		exited(t, e.p, 20*time.Second)
		echo(t, ws2, "e", "B e")
		select {
		case <-newDone:
			t.Error("the new process exited")
		default:
		}
	})

	t.Run("upgrade: ws_grace, then 1001", func(t *testing.T) {
		t.Parallel()
		e := start(t, short)
		ws1 := dialWS(t, e.p.addr)
		echo(t, ws1, "a", "A a")
		e.p.cmd.Process.Signal(syscall.SIGUSR2)
		waitNewProcess(t, e.p)
		echo(t, ws1, "b", "A b")
		goingAway(t, "at the end of the upgrade's ws_grace", ws1, e.a, short+10*time.Second)
		exited(t, e.p, 20*time.Second)
	})

	t.Run("stop: 1001 at once", func(t *testing.T) {
		t.Parallel()
		e := start(t, time.Hour)
		ws1 := dialWS(t, e.p.addr)
		echo(t, ws1, "a", "A a")
		e.conf(e.b)
		e.p.cmd.Process.Signal(syscall.SIGHUP)
		e.p.waitLog(t, reloaded, 1, 30*time.Second)
		ws2 := dialWS(t, e.p.addr)
		echo(t, ws2, "b", "B b")
		e.p.cmd.Process.Signal(syscall.SIGTERM)
		goingAway(t, "on a stop (a route the reload replaced)", ws1, e.a, 10*time.Second)
		goingAway(t, "on a stop", ws2, e.b, 10*time.Second)
		exited(t, e.p, 20*time.Second)
	})
}
