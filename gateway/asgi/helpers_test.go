package asgi_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
)

// Integration tests: a real Brick server on a loopback socket in front of
// a real pool of Python workers running the applications in
// testdata/apps, on Debian's Python with python3-starlette,
// python3-fastapi and python3-django.

const python = "/usr/bin/python3"

var appsDir = func() string {
	d, err := filepath.Abs(filepath.Join("testdata", "apps"))
	if err != nil {
		panic(err)
	}
	return d
}()

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until every one of subs is in the log.
func (l *logBuf) waitFor(t *testing.T, timeout time.Duration, subs ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, missing := l.String(), ""
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				missing = sub
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks %q after %v", missing, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newLogger() (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

type gateway struct {
	pool   *asgi.Pool
	srv    *server.Server
	url    string
	log    *logBuf
	client *http.Client
}

// startGateway starts a pool with cfg (interpreter, directory and one
// worker unless set) and a server in front of it; both stop when the test
// ends, and the log is printed if it failed.
func startGateway(t *testing.T, cfg asgi.Config, modules ...string) *gateway {
	t.Helper()
	return startGatewayWith(t, cfg, nil, modules...)
}

// startGatewayWith is startGateway with the server set up by setup
// before it serves.
func startGatewayWith(t *testing.T, cfg asgi.Config, setup func(*server.Server), modules ...string) *gateway {
	t.Helper()
	testutil.NeedPython(t, modules...)
	if cfg.Python == "" {
		cfg.Python = python
	}
	if cfg.Dir == "" {
		cfg.Dir = appsDir
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	log, lb := newLogger()
	pool, err := asgi.NewPool(cfg, log)
	if err != nil {
		t.Fatalf("NewPool(%s): %v\nlog:\n%s", cfg.App, err, lb)
	}
	t.Cleanup(func() {
		pool.Close()
		if t.Failed() {
			t.Logf("gateway log (%s):\n%s", cfg.App, lb)
		}
	})
	srv := &server.Server{Handler: asgi.NewHandler(pool), Logger: log}
	if setup != nil {
		setup(srv)
	}
	g := &gateway{pool: pool, srv: srv, log: lb,
		client: &http.Client{Timeout: 8 * time.Second, Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}}
	g.url = "http://" + loopback.Serve(t, srv)
	t.Cleanup(g.client.CloseIdleConnections)
	return g
}

type result struct {
	status int
	header http.Header
	body   string
	err    error
}

func (g *gateway) do(req *http.Request) result {
	resp, err := g.client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
}

func (g *gateway) get(t *testing.T, path string) result {
	t.Helper()
	req, err := http.NewRequest("GET", g.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g.do(req)
}

// mustGet fails the test unless the answer is whole and has the status.
func (g *gateway) mustGet(t *testing.T, path string, status int) result {
	t.Helper()
	r := g.get(t, path)
	if r.err != nil || r.status != status {
		t.Fatalf("GET %s = %d %q, %v; want %d", path, r.status, trim(r.body), r.err, status)
	}
	return r
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
