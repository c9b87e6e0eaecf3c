package wsgi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// Integration tests: a real Brick server on a loopback socket in front of a
// real pool of Python workers running the applications in testdata/apps.
// They need /usr/bin/python3 with Debian's python3-flask, python3-django
// and python3-pyramid; the Python on PATH may lack them.

const python = "/usr/bin/python3"

// appsDir is the directory of the test applications.
var appsDir = func() string {
	d, err := filepath.Abs(filepath.Join("testdata", "apps"))
	if err != nil {
		panic(err)
	}
	return d
}()

// needPython skips the test when the interpreter is missing (fails when
// testutil.RequireTools is set).
func needPython(t *testing.T) {
	t.Helper()
	testutil.NeedPython(t)
}

// logBuf collects the log of one gateway; it is written from many
// goroutines.
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

// line returns the first log line that contains sub, or "".
func (l *logBuf) line(sub string) string {
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

// waitFor waits until every one of subs is in the log.
func (l *logBuf) waitFor(t *testing.T, timeout time.Duration, subs ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := l.String()
		missing := ""
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

// gateway is a running server in front of a worker pool.
type gateway struct {
	pool   *wsgi.Pool
	srv    *server.Server
	addr   string
	url    string // http://addr
	log    *logBuf
	client *http.Client
}

// newLogger returns a logger writing into a fresh buffer.
func newLogger() (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// startGateway starts a pool with cfg (the interpreter and the apps
// directory filled in when unset) and a server for it; both stop when the
// test ends, and the log is printed if the test failed.
func startGateway(t *testing.T, cfg wsgi.Config) *gateway {
	t.Helper()
	return startGatewayObserved(t, cfg, nil)
}

// startGatewayObserved is startGateway with an Observer on the server
// (nil: none), to see what the server reports of each request.
func startGatewayObserved(t *testing.T, cfg wsgi.Config, obs web.Observer) *gateway {
	t.Helper()
	needPython(t)
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
	pool, err := wsgi.NewPool(cfg, log)
	if err != nil {
		t.Fatalf("NewPool(%s): %v\nlog:\n%s", cfg.App, err, lb)
	}
	h, err := wsgi.NewHandler(pool)
	if err != nil {
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the server's shutdown
		pool.Close()
		if t.Failed() {
			t.Logf("gateway log (%s):\n%s", cfg.App, lb)
		}
	})
	srv := &server.Server{Handler: h, Logger: log, Observer: obs}
	g := &gateway{pool: pool, srv: srv, addr: loopback.Serve(t, srv), log: lb,
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}}
	g.url = "http://" + g.addr
	t.Cleanup(g.client.CloseIdleConnections) // before it, so that it need not wait for them
	return g
}

// result is a response read whole.
type result struct {
	status int
	header http.Header
	body   string
	err    error // from the request or from reading the body
}

// do sends req and reads the whole answer; errors are returned, not fatal,
// so that tests can expect a cut connection.
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

// mustGet is get that fails the test unless the answer is whole and has
// the status.
func (g *gateway) mustGet(t *testing.T, path string, status int) result {
	t.Helper()
	r := g.get(t, path)
	if r.err != nil || r.status != status {
		t.Fatalf("GET %s = %d %q, %v; want %d", path, r.status, trim(r.body), r.err, status)
	}
	return r
}

// post sends body with a Content-Length, or chunked.
func (g *gateway) post(t *testing.T, path string, body []byte, chunked bool) result {
	t.Helper()
	req, err := http.NewRequest("POST", g.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if chunked {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = -1
	}
	return g.do(req)
}

// rawConn opens a plain TCP connection to the gateway.
func (g *gateway) rawConn(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c, bufio.NewReader(c)
}

// readResponse reads one response from a raw connection.
func readResponse(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response to %s: %v", method, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the body of the response to %s: %v", method, err)
	}
	return resp, string(b)
}

// trim shortens a body for a failure message.
func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// waitPIDs waits until the pool has n workers in service and returns
// their pids.
func waitPIDs(t *testing.T, p *wsgi.Pool, n int, unlike []int) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pids := wsgi.WorkerPIDs(p)
		if len(pids) == n && (unlike == nil || !slices.Equal(pids, unlike)) {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers in service: %v; want %d, not %v", pids, n, unlike)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// zombies lists the children of this process that have exited and were
// not reaped.
func zombies() []int {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	var z []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == me && f[0] == "Z" {
			z = append(z, pid)
		}
	}
	return z
}

// noZombies fails when a child of the test stays unreaped. An exit is
// reaped within moments, so it waits a little before judging.
func noZombies(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		z := zombies()
		if len(z) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("zombie children of the test: %v", z)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
