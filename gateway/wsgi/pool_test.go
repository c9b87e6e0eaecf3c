package wsgi_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// TestConcurrentClients sends 20 requests at once to a single worker: they
// wait their turn and every one is answered.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]result, 20)
	for i := range results {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/sleep?s=0.02&i=%d", g.url, i), nil)
			results[i] = g.do(req)
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.status != 200 || r.body != "slept" {
			t.Errorf("client %d: %d %q, %v", i, r.status, r.body, r.err)
		}
	}
}

// TestSlowClient: a client that does not read its 5 MiB answer must not
// hold the only worker; the answer waits in the spool, whole.
func TestSlowClient(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	// A small receive window, set before connecting, so that the kernel
	// buffers cannot take the whole answer for the client.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	c, err := d.Dial("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	// The worker took the request (its wait was counted), answered it,
	// and is idle again, while nobody reads the answer.
	waitUntil(t, 20*time.Second, "the worker to answer /big and come back", func() bool {
		st := g.pool.Snapshot()
		return st.QueueWaitCount == 1 && st.Idle == 1 && st.Busy == 0
	})

	t0 := time.Now()
	g.mustGet(t, "/pid", 200)
	if took := time.Since(t0); took > 3*time.Second {
		t.Errorf("a request behind a slow client took %v", took)
	}
	// Nor does a client that sends its body slowly: the body is read
	// whole before a worker is taken.
	// The server sends 100 Continue when the handler starts reading the
	// body: from then on the uploader is inside the handler.
	up, upr := g.rawConn(t)
	fmt.Fprintf(up, "POST /input?how=readall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
	if line, err := upr.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	if line, err := upr.ReadString('\n'); err != nil || line != "\r\n" {
		t.Fatalf("after 100 Continue: %q, %v", line, err)
	}
	fmt.Fprintf(up, "hello")
	t0 = time.Now()
	g.mustGet(t, "/pid", 200)
	if took := time.Since(t0); took > 3*time.Second {
		t.Errorf("a request behind a slow uploader took %v", took)
	}
	fmt.Fprintf(up, "world")
	if resp, body := readResponse(t, upr, "POST"); resp.StatusCode != 200 || !strings.Contains(body, `"len": 10`) {
		t.Errorf("the slow upload: %d %q", resp.StatusCode, body)
	}

	// The slow client still gets every byte.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	resp, body := readResponse(t, bufio.NewReader(c), "GET")
	if resp.StatusCode != 200 || body != string(bigBody) {
		t.Errorf("the slow client got %d with %d body bytes, want 200 with the %d of /big", resp.StatusCode, len(body), len(bigBody))
	}
}

// TestTimeout: a request past Timeout gets 504, the worker's Python stack
// is logged, and the next request is served by a replacement.
func TestTimeout(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Timeout: time.Second}, QueueTimeout: 20 * time.Second})
	before := waitPIDs(t, g.pool, 1, nil)
	t0 := time.Now()
	r := g.get(t, "/sleep?s=30")
	took := time.Since(t0)
	if r.err != nil || r.status != 504 {
		t.Fatalf("GET /sleep?s=30 = %d %q, %v; want 504", r.status, r.body, r.err)
	}
	if took < 900*time.Millisecond || took > 5*time.Second {
		t.Errorf("504 after %v, want about the 1 s timeout", took)
	}
	// The line that reports the timeout holds the worker's Python stack.
	g.log.waitFor(t, 10*time.Second, "request timed out")
	if line := g.log.line("request timed out"); !strings.Contains(line, `request="GET /sleep?s=30"`) ||
		!strings.Contains(line, `rawapp.py\", line`) || !strings.Contains(line, "in application") {
		t.Errorf("the timeout's log line lacks the request or the stack where it hung: %s", line)
	}
	if r := g.mustGet(t, "/hello", 200); r.body != "Hello, World!" {
		t.Errorf("after a timeout: %q", r.body)
	}
	waitPIDs(t, g.pool, 1, before)

	// A silence past the timeout in the middle of a streamed answer cuts
	// the client's connection: its body is not whole. (A stream that
	// keeps sending may outlive the timeout: TestLongStream.)
	r = g.get(t, "/ticks?n=2&every=0.1&stall=5")
	if r.err == nil || r.status != 200 || strings.Contains(r.body, "end") {
		t.Errorf("GET a stream silent past the timeout = %d, %q, %v; want 200 and a cut", r.status, r.body, r.err)
	}
	g.mustGet(t, "/hello", 200)
	noZombies(t)
}

// TestWorkerKilledWhileIdle: a worker killed from outside while it waits
// (the OOM killer, an operator) costs no request: the next one goes to
// its replacement.
func TestWorkerKilledWhileIdle(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	for range 3 {
		pids := waitPIDs(t, g.pool, 1, nil)
		if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); syscall.Kill(pids[0], 0) == nil && !slices.Contains(zombies(), pids[0]); {
			if time.Now().After(deadline) {
				t.Fatalf("worker %d survived SIGKILL", pids[0])
			}
			time.Sleep(time.Millisecond)
		}
		if r := g.mustGet(t, "/pid", 200); r.body == fmt.Sprint(pids[0]) {
			t.Errorf("answered by the killed worker %s", r.body)
		}
	}
	noZombies(t)
}

// TestRecycling: with MaxRequests 5, one worker is replaced again and again
// and no request notices. The clients pause 10 ms between requests, so
// that the replacements (started while the old worker serves on) get a turn.
func TestRecycling(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", MaxRequests: 5}})
	var mu sync.Mutex
	pids := map[string]bool{}
	get := func(what string) {
		r := g.get(t, "/pid")
		if r.err != nil || r.status != 200 {
			t.Errorf("%s: %d %q, %v", what, r.status, r.body, r.err)
			return
		}
		mu.Lock()
		pids[r.body] = true
		mu.Unlock()
	}
	// At least 60 requests, and on until the third worker served: a
	// replacement must import first, which takes seconds on a loaded
	// machine.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 60 || len(pids) < 3 && time.Now().Before(deadline); i++ {
		get(fmt.Sprintf("request %d", i))
		time.Sleep(10 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 5 {
				get(fmt.Sprintf("client %d, request %d", c, i))
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	if len(pids) < 3 {
		t.Errorf("the requests were served by %d workers; recycling after 5 should take more", len(pids))
	}
	g.log.waitFor(t, 5*time.Second, "wsgi worker recycling", "max requests")
	if s := g.log.String(); strings.Contains(s, "worker failed") || strings.Contains(s, "worker exited") {
		t.Errorf("recycling was seen as a failure")
	}
	noZombies(t)
}

// TestMaxMemory: a worker over MaxMemory is recycled (here every worker
// is, about every second) without a failed request.
func TestMaxMemory(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", MaxMemory: 1}})
	pids := map[string]bool{}
	// The bound is checked once a second and the replacement must import
	// first, which takes seconds on a loaded machine: wait for it.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(pids) < 2; {
		pids[g.mustGet(t, "/pid", 200).body] = true
		time.Sleep(10 * time.Millisecond)
	}
	g.log.waitFor(t, 5*time.Second, "wsgi worker recycling", "max memory")
	if len(pids) < 2 {
		t.Errorf("20 s of requests were served by %d workers; want the memory bound to recycle them", len(pids))
	}
	if s := g.log.String(); strings.Contains(s, "worker failed") || strings.Contains(s, "worker exited") {
		t.Errorf("recycling was seen as a failure")
	}
}

// TestReload: Reload swaps in new code without a failed request, whole:
// once it returns every request is answered by a new worker on the new
// code, and every worker in service is new. A reload whose code does not
// import leaves the old workers serving, all of them.
func TestReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	slowStarted := filepath.Join(dir, "slow-started")
	src := func(version string) []byte {
		return fmt.Appendf(nil, `import os
import time

VERSION = %q


def application(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        open(os.environ["SLOW_STARTED"], "w").close()
        time.sleep(1)
    elif environ["PATH_INFO"] == "/nap":
        time.sleep(0.05)
    body = ("%%s %%d" %% (VERSION, os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`, version)
	}
	file := filepath.Join(dir, "reloadapp.py")
	if err := os.WriteFile(file, src("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "reloadapp:application", Dir: dir, Workers: 2, Env: []string{"PYTHONDONTWRITEBYTECODE=1", "SLOW_STARTED=" + slowStarted}}})
	v1 := waitPIDs(t, g.pool, 2, nil)
	answerFromEach(t, g, v1, "v1")

	// Clients loop requests throughout.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	var served int
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				r := g.get(t, "/")
				mu.Lock()
				served++
				if r.err != nil || r.status != 200 {
					failures = append(failures, fmt.Sprintf("%d %q %v", r.status, r.body, r.err))
				}
				mu.Unlock()
			}
		})
	}
	defer func() { stop(); wg.Wait() }()

	// A long request in flight during the reload ends on the old code.
	slow := make(chan result, 1)
	go func() { slow <- g.get(t, "/slow") }()
	waitUntil(t, 20*time.Second, "the slow request to reach a worker", func() bool {
		_, err := os.Stat(slowStarted)
		return err == nil
	})

	if err := os.WriteFile(file, src("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.pool.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	// The new generation is in service whole: no request sent from now on
	// reaches an old worker.
	for i := range 10 {
		if r := g.mustGet(t, "/", 200); !strings.HasPrefix(r.body, "v2 ") {
			t.Fatalf("request %d after Reload returned = %q, want v2", i, r.body)
		}
	}
	if r := <-slow; r.err != nil || r.status != 200 || !strings.HasPrefix(r.body, "v1") {
		t.Errorf("a request in flight during Reload = %d %q, %v; want v1's answer", r.status, r.body, r.err)
	}
	// Every old worker leaves (the slow one once its request is done),
	// and each worker in service answers with the new code.
	var v2 []int
	waitUntil(t, 20*time.Second, "the old workers to leave", func() bool {
		v2 = wsgi.WorkerPIDs(g.pool)
		return len(v2) == 2 && !slices.ContainsFunc(v2, func(pid int) bool { return slices.Contains(v1, pid) })
	})
	answerFromEach(t, g, v2, "v2")

	// New code that does not import: the error comes back, and every
	// worker serves on with v2.
	if err := os.WriteFile(file, []byte("def application(:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := g.pool.Reload()
	if err == nil || !strings.Contains(err.Error(), "SyntaxError") || !strings.Contains(err.Error(), "reloadapp") {
		t.Errorf("Reload of code with a syntax error = %v; want an error with the traceback", err)
	}
	if pids := wsgi.WorkerPIDs(g.pool); !slices.Equal(pids, v2) {
		t.Errorf("workers after a failed reload: %v, want %v still", pids, v2)
	}
	answerFromEach(t, g, v2, "v2")
	stop()
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during the reloads: %q", len(failures), served, failures)
	}
	if served < 10 {
		t.Errorf("the clients looped only %d requests", served)
	}
	noZombies(t)
}

// answerFromEach sends pairs of concurrent requests to an application
// that answers "VERSION PID" until each of pids has answered, and fails
// unless every answer came from one of pids with version.
func answerFromEach(t *testing.T, g *gateway, pids []int, version string) {
	t.Helper()
	seen := map[int]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(seen) < len(pids) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s only workers %v of %v answered", seen, pids)
		}
		var pair [2]result
		var wg sync.WaitGroup
		for i := range pair {
			wg.Go(func() { pair[i] = g.get(t, "/nap") })
		}
		wg.Wait()
		for _, r := range pair {
			var v string
			var pid int
			if r.err != nil || r.status != 200 {
				t.Fatalf("GET /nap = %d %q, %v", r.status, r.body, r.err)
			}
			if _, err := fmt.Sscanf(r.body, "%s %d", &v, &pid); err != nil || v != version || !slices.Contains(pids, pid) {
				t.Fatalf("GET /nap = %q; want %s from one of %v", r.body, version, pids)
			}
			seen[pid] = true
		}
	}
}

// TestStartupFailure: an application that cannot be loaded is reported by
// NewPool at once, with what Python said.
func TestStartupFailure(t *testing.T) {
	t.Parallel()
	needPython(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "boomapp.py"), []byte("import os\n\nraise RuntimeError('import boom')\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "syntaxapp.py"), []byte("def application(:\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "exitapp.py"), []byte("import os\nos._exit(7)\n"), 0o644)
	for _, tc := range []struct {
		name string
		cfg  wsgi.Config
		want []string
	}{
		{"raises at import", wsgi.Config{Settings: pyproc.Settings{App: "boomapp:application"}},
			[]string{"boomapp", "Traceback", "RuntimeError: import boom"}},
		{"syntax error", wsgi.Config{Settings: pyproc.Settings{App: "syntaxapp:application"}},
			[]string{"syntaxapp", "SyntaxError"}},
		{"no such module", wsgi.Config{Settings: pyproc.Settings{App: "nosuchapp:application"}},
			[]string{"nosuchapp", "ModuleNotFoundError"}},
		{"no such callable", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:nope", Dir: appsDir}},
			[]string{"rawapp", "has no attribute", "nope"}},
		{"exits at import", wsgi.Config{Settings: pyproc.Settings{App: "exitapp:application"}},
			[]string{"exitapp", "exited before it was ready", "exit status 7"}},
		{"no python", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Dir: appsDir, Python: "/nonexistent/python3"}},
			[]string{"/nonexistent/python3"}},
		{"not a module path", wsgi.Config{Settings: pyproc.Settings{App: "no such:app"}},
			[]string{"not a Python module path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Dir == "" {
				cfg.Dir = dir
			}
			if cfg.Python == "" {
				cfg.Python = python
			}
			cfg.Workers = 2
			log, lb := newLogger()
			t0 := time.Now()
			p, err := wsgi.NewPool(cfg, log)
			if err == nil {
				p.Close()
				t.Fatalf("NewPool(%s) succeeded", cfg.App)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("NewPool(%s) = %q; want it to say %q\nlog:\n%s", cfg.App, err, w, lb)
				}
			}
			if took := time.Since(t0); took > 20*time.Second {
				t.Errorf("NewPool took %v to fail", took)
			}
		})
	}
	noZombies(t)
}

// TestQueueFull: with one worker busy and one request waiting, the next
// gets 503 with Retry-After.
func TestQueueFull(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}, QueueSize: 1})
	waitStats := func(what string, ok func(live, idle, queued int) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := g.pool.Snapshot()
			live, idle, queued := st.Busy+st.Idle, st.Idle, st.QueueLength
			if ok(live, idle, queued) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: live %d idle %d queued %d", what, live, idle, queued)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	results := make([]result, 2)
	wg.Go(func() { results[0] = g.get(t, "/sleep?s=3") })
	waitStats("the worker busy", func(live, idle, _ int) bool { return live == 1 && idle == 0 })
	wg.Go(func() { results[1] = g.get(t, "/sleep?s=0.1") })
	waitStats("a request queued", func(_, _, queued int) bool { return queued == 1 })

	r := g.get(t, "/hello")
	if r.err != nil || r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Errorf("GET with the queue full = %d %q Retry-After %q, %v; want 503 with Retry-After", r.status, r.body, r.header.Get("Retry-After"), r.err)
	}
	g.log.waitFor(t, 5*time.Second, "no worker free")
	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.status != 200 {
			t.Errorf("request %d before the queue filled: %d %q, %v", i, r.status, r.body, r.err)
		}
	}
	g.mustGet(t, "/hello", 200)
}

// TestCloseDuringRecycle: a pool closed while a replacement worker starts
// stops it quietly; it is not a worker failure to log.
func TestCloseDuringRecycle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		wait func(t *testing.T, g *gateway, first []int)
	}{
		// The recycle is asked before the second answer is sent: the
		// replacement is starting now.
		{"as the replacement starts", func(*testing.T, *gateway, []int) {}},
		{"once the replacement serves", func(t *testing.T, g *gateway, first []int) { waitPIDs(t, g.pool, 1, first) }},
	} {
		var g *gateway
		t.Run(tc.name, func(t *testing.T) {
			g = startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", MaxRequests: 2}})
			first := waitPIDs(t, g.pool, 1, nil)
			g.mustGet(t, "/pid", 200)
			g.mustGet(t, "/pid", 200)
			if n := g.pool.Snapshot().Restarts["max_requests"]; n != 1 {
				t.Fatalf("recycles asked after 2 requests: %d, want 1", n)
			}
			tc.wait(t, g, first)
		})
		if s := g.log.String(); strings.Contains(s, "worker exited") || strings.Contains(s, "failed") {
			t.Errorf("closing during a recycle logged a failure:\n%s", s)
		}
	}
	noZombies(t)
}

// TestNewPoolStartsEveryWorker: NewPool starts its workers side by side
// and returns once every one is ready, so a pool (and a configuration
// reload that swaps one in) serves at full strength from its first
// request.
func TestNewPoolStartsEveryWorker(t *testing.T) {
	t.Parallel()
	needPython(t)
	dir := t.TempDir()
	imports := filepath.Join(dir, "imports")
	// Each import takes a second and notes when it began and ended.
	if err := os.WriteFile(filepath.Join(dir, "slowimport.py"), []byte(`import os
import time

with open(os.environ["IMPORTS"], "a") as f:
    f.write("begin %d\n" % os.getpid())
time.sleep(1)
with open(os.environ["IMPORTS"], "a") as f:
    f.write("end %d\n" % os.getpid())


def application(environ, start_response):
    start_response("200 OK", [("Content-Length", "0")])
    return []
`), 0o644); err != nil {
		t.Fatal(err)
	}
	log, lb := newLogger()
	p, err := wsgi.NewPool(wsgi.Config{Settings: pyproc.Settings{App: "slowimport:application", Dir: dir, Python: python, Workers: 3, Env: []string{"PYTHONDONTWRITEBYTECODE=1", "IMPORTS=" + imports}}}, log)
	if err != nil {
		t.Fatalf("NewPool: %v\nlog:\n%s", err, lb)
	}
	defer p.Close()
	st := p.Snapshot()
	pids := map[int]bool{}
	for _, w := range st.Workers {
		pids[w.PID] = true
	}
	if st.Idle != 3 || st.Busy != 0 || len(st.Workers) != 3 || len(pids) != 3 {
		t.Errorf("right after NewPool: %d idle, %d busy, workers %v; want 3 idle workers with distinct pids", st.Idle, st.Busy, st.Workers)
	}
	// Side by side: every import began before the first one ended.
	b, _ := os.ReadFile(imports)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[2], "begin") || !strings.HasPrefix(lines[3], "end") {
		t.Errorf("the imports did not all run side by side before NewPool returned:\n%s", b)
	}
}

// TestRecycleReplacementFails: a worker due for recycling whose
// replacement cannot start (the application's code changed on disk and no
// longer imports) keeps serving, and the replacement is tried again with
// a growing delay, not at once; once the code imports again, the next
// attempt replaces the worker.
func TestRecycleReplacementFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken, attempts := filepath.Join(dir, "broken"), filepath.Join(dir, "attempts")
	if err := os.WriteFile(filepath.Join(dir, "flakyapp.py"), []byte(`import os

with open(os.environ["ATTEMPTS"], "a") as f:
    f.write("import\n")
if os.path.exists(os.environ["BROKEN"]):
    raise RuntimeError("the new code does not import")


def application(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	starts := func() int {
		b, _ := os.ReadFile(attempts)
		return strings.Count(string(b), "\n")
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "flakyapp:application", Dir: dir, MaxRequests: 2, Env: []string{"PYTHONDONTWRITEBYTECODE=1", "ATTEMPTS=" + attempts, "BROKEN=" + broken}}})
	first := g.mustGet(t, "/", 200).body
	if err := os.WriteFile(broken, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before := starts()
	// The next request reaches the limit; requests go on for 3 s, each
	// answered by the old worker.
	const window = 3 * time.Second
	n := 0
	for t0 := time.Now(); time.Since(t0) < window; n++ {
		if r := g.mustGet(t, "/", 200); r.body != first {
			t.Fatalf("request %d answered by %s, want the old worker %s", n, r.body, first)
		}
	}
	// Without a backoff, every request would set off another attempt.
	if tries := starts() - before; tries < 1 || tries > 6 {
		t.Errorf("%d attempts to start the replacement in %v (%d requests); want 1 to 6", tries, window, n)
	}
	g.log.waitFor(t, 5*time.Second, "replacement worker failed to start", "retry_in", "the new code does not import")

	// The code imports again: the next attempt succeeds.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "a replacement to serve", func() bool {
		return g.mustGet(t, "/", 200).body != first
	})
	noZombies(t)
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
