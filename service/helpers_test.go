package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/service"
)

// python is Debian's interpreter, which has Flask (python3 on PATH may
// be a pyenv without it).
const python = "/usr/bin/python3"

// needFlask skips a test when Debian's Python with Flask is missing.
func needFlask(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import flask").Run(); err != nil {
		t.Skipf("%s with Flask is needed: %v", python, err)
	}
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
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		svc.Close()
		t.Fatal(err)
	}
	srv := &server.Server{Handler: svc.Handler(), Logger: log}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	f.base = "http://" + ln.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
		svc.Close()
		if t.Failed() {
			t.Logf("service log:\n%s", f.log.String())
		}
	})
	return f
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// loader is a client hammering a server from several goroutines, some on
// kept-alive connections and some on a new connection per request, until
// stopped. check judges each answer; a transport error (refused, reset)
// is a failure too.
type loader struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	failures   []string
	stop       chan struct{}
	wg         sync.WaitGroup
}

// startLoad runs keepAlive + fresh goroutines, each requesting the urls
// in turn. check returns "" for a good answer, else what is wrong; it
// runs on the request's goroutine and gets what before returned just
// before the request was sent (nil when before is nil).
func startLoad(t *testing.T, keepAlive, fresh int, urls []string, before func() any, check func(url string, status int, body string, before any) string) *loader {
	l := &loader{stop: make(chan struct{})}
	run := func(c *http.Client, g int) {
		defer l.wg.Done()
		for i := g; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			u := urls[i%len(urls)]
			var b4 any
			if before != nil {
				b4 = before()
			}
			resp, err := c.Get(u)
			if err != nil {
				l.fail(fmt.Sprintf("GET %s: %v", u, err))
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				l.fail(fmt.Sprintf("GET %s: reading the body: %v", u, err))
				continue
			}
			if why := check(u, resp.StatusCode, string(b), b4); why != "" {
				l.fail(fmt.Sprintf("GET %s: %d %q: %s", u, resp.StatusCode, b, why))
				continue
			}
			l.ok.Add(1)
		}
	}
	// Go's Transport retries an idempotent request once when a kept-alive
	// connection turns out to be closed by the server before any answer
	// (the race every HTTP/1.1 client has with a server closing an idle
	// connection); that is the only retry. New connections get none.
	kept := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: keepAlive}}
	for g := range keepAlive {
		l.wg.Add(1)
		go run(kept, g)
	}
	for g := range fresh {
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		l.wg.Add(1)
		go run(c, keepAlive+g)
	}
	t.Cleanup(l.halt)
	return l
}

func (l *loader) fail(msg string) {
	l.failed.Add(1)
	l.mu.Lock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, msg)
	}
	l.mu.Unlock()
}

// halt stops the load and waits for the requests in flight.
func (l *loader) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// waitFor waits until n more requests have succeeded.
func (l *loader) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	deadline := time.Now().Add(30 * time.Second)
	for l.ok.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the load made %d of %d more requests in 30 s (%d failed)", l.ok.Load()-target+n, n, l.failed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// report fails the test on any failed request.
func (l *loader) report(t *testing.T) {
	t.Helper()
	l.halt()
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed; first ones:\n%s", n, n+l.ok.Load(), strings.Join(l.failures, "\n"))
	}
	t.Logf("%d requests, %d failed", l.ok.Load()+l.failed.Load(), l.failed.Load())
}
