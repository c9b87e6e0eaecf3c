package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// TestASGI runs `brick asgi` for real: an application answers; SIGHUP
// loads new code while a slow request on the old code completes; SIGTERM
// stops brick with its workers after their lifespan shutdown; a lifespan
// startup that fails makes brick exit non-zero with the message.
func TestASGI(t *testing.T) {
	python := testutil.NeedPython(t)
	write := func(dir, v string) {
		app := "import asyncio\n" +
			"async def app(scope, receive, send):\n" +
			"    if scope['type'] == 'lifespan':\n" +
			"        while True:\n" +
			"            m = await receive()\n" +
			"            if m['type'] == 'lifespan.startup':\n" +
			"                await send({'type': 'lifespan.startup.complete'})\n" +
			"            else:\n" +
			"                print('shutdown ran', flush=True)\n" +
			"                await send({'type': 'lifespan.shutdown.complete'})\n" +
			"                return\n" +
			"    if scope['path'] == '/slow':\n" +
			"        await asyncio.sleep(1)\n" +
			"    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n" +
			"    await send({'type': 'http.response.body', 'body': b'" + v + "'})\n"
		if err := os.WriteFile(filepath.Join(dir, "codeapp.py"), []byte(app), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("serve, reload, stop", func(t *testing.T) {
		dir := t.TempDir()
		write(dir, "one")
		p := start(t, "asgi", "codeapp:app", "--chdir", dir, "--python", python, "--workers", "1", "-addr", "127.0.0.1:0")
		url := "http://" + p.addr
		if _, body, _ := get(t, url+"/"); body != "one" {
			t.Fatalf("GET / = %q, want one", body)
		}
		slow := make(chan string, 1)
		go func() {
			_, body, _ := get(t, url+"/slow")
			slow <- body
		}()
		time.Sleep(200 * time.Millisecond)
		write(dir, "two")
		p.cmd.Process.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, body, _ := get(t, url+"/"); body == "two" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the new code never answered after SIGHUP:\n%s", p.output())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if body := <-slow; body != "one" {
			t.Errorf("the request in flight across SIGHUP got %q; want one, from the old code", body)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			t.Fatalf("brick asgi did not exit after SIGTERM:\n%s", p.output())
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, p.output())
		}
		if n := strings.Count(p.output(), "shutdown ran"); n != 2 {
			t.Errorf("lifespan shutdown ran %d times; want 2 (the reloaded worker, then the last):\n%s", n, p.output())
		}
	})

	// One site of a file: static files, an ASGI app under /api/ (its
	// root_path) and a redirect, side by side.
	t.Run("asgi route in a file", func(t *testing.T) {
		dir := t.TempDir()
		write(dir, "from asgi")
		os.WriteFile(filepath.Join(dir, "index.html"), []byte("static page"), 0o644)
		os.WriteFile(filepath.Join(dir, "rootapp.py"), []byte("async def app(scope, receive, send):\n"+
			"    if scope['type'] != 'http':\n        return\n"+
			"    body = (scope['root_path'] + ' ' + scope['path']).encode()\n"+
			"    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"+
			"    await send({'type': 'http.response.body', 'body': body})\n"), 0o644)
		conf := filepath.Join(dir, "brick.toml")
		os.WriteFile(conf, []byte(`
[server]
listen = "127.0.0.1:0"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/api/"
asgi = { app = "rootapp:app", python = "`+python+`", workers = 1 }
[[site.route]]
path = "/old"
redirect = { to = "/" }
[[site.route]]
path = "/"
static = { root = "`+dir+`" }
`), 0o644)
		p := start(t, "run", "-config", conf)
		url := "http://" + p.addr
		for _, tc := range []struct{ path, want string }{
			{"/api/items/1", "/api /api/items/1"},
			{"/", "static page"},
		} {
			if status, body, _ := get(t, url+tc.path); status != 200 || body != tc.want {
				t.Errorf("GET %s = %d %q; want 200 %q", tc.path, status, body, tc.want)
			}
		}
	})

	t.Run("startup failed", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "failapp.py"), []byte("async def app(scope, receive, send):\n"+
			"    await receive()\n"+
			"    await send({'type': 'lifespan.startup.failed', 'message': 'no database'})\n"), 0o644)
		cmd := exec.Command(binary(t), "asgi", "failapp:app", "--chdir", dir, "--python", python, "-addr", "127.0.0.1:0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); err == nil || code == 0 || !strings.Contains(stderr.String(), "no database") {
			t.Errorf("exit %d, stderr:\n%s\nwant a non-zero exit with the startup message", code, stderr.String())
		}
	})
}
