package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"
)

var (
	gowsOnce sync.Once
	gowsBin  string
	gowsErr  error
)

// gows builds testdata/gows, Brick as a library with Go WebSocket
// handlers, once.
func gows(t *testing.T) []byte {
	t.Helper()
	gowsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "brick-gows")
		if err != nil {
			gowsErr = err
			return
		}
		gowsBin = filepath.Join(dir, "gows")
		if out, err := exec.Command("go", "build", "-o", gowsBin, "./testdata/gows").CombinedOutput(); err != nil {
			gowsErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if gowsErr != nil {
		t.Fatal(gowsErr)
	}
	b, err := os.ReadFile(gowsBin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const gowsConf = `
[server]
listen = ["127.0.0.1:0"]
shutdown_timeout = "20s"
ws_grace = "{{ws_grace}}"

[log]
access = "off"

[[site]]
  [[site.route]]
  path = "/brick"
  handler = "brickws"
  [[site.route]]
  path = "/coder"
  handler = "coderws"
`

// TestGoWebSocketsAcrossUpgrade runs Brick as a library with two Go
// WebSocket echoes, one accepted with package websocket and one by
// coder/websocket through the net/http adapter: both stay open and echo
// across a SIGHUP reload and a SIGUSR2 upgrade (new WebSockets go to the
// new process), and the old process leaves once they close; with a short
// ws_grace both end with 1001 when it ends.
func TestGoWebSocketsAcrossUpgrade(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	bin := gows(t)
	for _, tc := range []struct {
		name    string
		wsGrace time.Duration
	}{
		{"kept until they close", time.Hour},
		{"ws_grace ends with 1001", 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			deploy(t, filepath.Join(dir, "gows"), bin)
			version := func(v string) {
				if err := os.WriteFile(filepath.Join(dir, "version"), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "brick.toml"), []byte(strings.ReplaceAll(gowsConf, "{{ws_grace}}", tc.wsGrace.String())), 0o644); err != nil {
				t.Fatal(err)
			}
			version("v1")
			p := startRun(t, filepath.Join(dir, "gows"), dir, nil)
			paths := []string{"/brick", "/coder"}
			var old []*wsClient
			for _, path := range paths {
				ws := dialWSPath(t, p.addr, path)
				if got := ws.echo(t, "a"); got != "v1 a" {
					t.Fatalf("%s: echo %q, want v1 a", path, got)
				}
				old = append(old, ws)
			}

			p.cmd.Process.Signal(syscall.SIGHUP)
			p.waitLog(t, regexp.MustCompile(`msg="reloaded the configuration"`), 1, 30*time.Second)
			for i, ws := range old {
				if got := ws.echo(t, "b"); got != "v1 b" {
					t.Fatalf("%s after the reload: %q, want v1 b", paths[i], got)
				}
			}

			version("v2")
			p.cmd.Process.Signal(syscall.SIGUSR2)
			_, newDone := waitNewProcess(t, p)
			for i, ws := range old {
				if got := ws.echo(t, "c"); got != "v1 c" {
					t.Fatalf("%s after the upgrade: %q, want v1 c", paths[i], got)
				}
			}
			for _, path := range paths {
				ws := dialWSPath(t, p.addr, path)
				if got := ws.echo(t, "d"); got != "v2 d" {
					t.Fatalf("%s opened after the upgrade: %q, want v2 d", path, got)
				}
				ws.c.Close(websocket.StatusNormalClosure, "")
			}
			if tc.wsGrace == time.Hour {
				time.Sleep(time.Second)
				select {
				case <-p.done:
					t.Fatal("the old process exited with WebSockets open")
				default:
				}
				for i, ws := range old {
					if got := ws.echo(t, "e"); got != "v1 e" {
						t.Fatalf("%s a second after the upgrade: %q, want v1 e", paths[i], got)
					}
					ws.c.Close(websocket.StatusNormalClosure, "")
				}
			} else {
				for i, ws := range old {
					if code, after := ws.closed(t, tc.wsGrace+10*time.Second); code != websocket.StatusGoingAway {
						t.Errorf("%s at the end of ws_grace: closed with %d (after %v), want 1001", paths[i], code, after)
					}
				}
			}
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				t.Fatal("the old process did not exit once its WebSockets closed")
			}
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("the old process exited with %d, want 0", code)
			}
			select {
			case <-newDone:
				t.Error("the new process exited")
			default:
			}
		})
	}
}
