package service_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/service"
)

// python is Debian's interpreter, which has Flask (python3 on PATH may
// be a pyenv without it).
const python = "/usr/bin/python3"

// needFlask skips a test when Debian's Python with Flask is missing
// (fails when testutil.RequireTools is set).
func needFlask(t *testing.T) {
	t.Helper()
	testutil.NeedPython(t, "flask")
}

// flaskApps is the WSGI gateway's test applications.
func flaskApps(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "gateway", "wsgi", "testdata", "apps"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// versionApp is a WSGI application answering "$VERSION $pid": which
// configuration the worker was started under, and which worker it is. It
// imports in a few milliseconds, unlike Flask, so reloads are quick.
const versionApp = `import os

def application(environ, start_response):
    body = ("%s %d" % (os.environ.get("VERSION", "?"), os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

// lockedBuffer is a log destination read while it is written.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a Service loaded from a file in a temporary directory and
// served over loopback.
type fixture struct {
	dir  string // holds the file, and what it names by relative paths
	file string
	svc  *service.Service
	base string // http://127.0.0.1:port
	log  *lockedBuffer
}

// write replaces the configuration file; "{{apps}}" stands for the Flask
// apps' directory and "{{python}}" for the interpreter.
func (f *fixture) write(t *testing.T, conf string) {
	t.Helper()
	r := strings.NewReplacer("{{apps}}", flaskApps(t), "{{python}}", python)
	if err := os.WriteFile(f.file, []byte(r.Replace(conf)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// load writes conf, loads it and serves it until the test ends. setup
// runs first, to add files beside the configuration.
func load(t *testing.T, conf string, setup func(dir string)) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, file: filepath.Join(dir, "brick.toml"), log: &lockedBuffer{}}
	if setup != nil {
		setup(dir)
	}
	f.write(t, conf)
	log := slog.New(slog.NewTextHandler(f.log, nil))
	svc, err := service.Load(f.file, nil, log)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	f.svc = svc
	t.Cleanup(func() { // after the server's shutdown
		svc.Close()
		if t.Failed() {
			t.Logf("service log:\n%s", f.log.String())
		}
	})
	f.base = "http://" + loopback.Serve(t, &server.Server{Handler: svc.Handler(), Observer: svc.Observer(), Logger: log})
	return f
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}
