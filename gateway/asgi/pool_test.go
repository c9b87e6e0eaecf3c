package asgi_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/testutil"
)

// TestStartup checks how applications start: factories, applications
// without lifespan support (uvicorn's "auto"), and a lifespan startup
// that fails, which stops the pool from starting with its message.
func TestStartup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, app, path, body, err string
	}{
		{name: "factory", app: "rawapp:create_app()", path: "/state", body: "hello from lifespan"},
		{name: "no lifespan support", app: "rawapp:nolifespan", path: "/", body: "no lifespan"},
		{name: "startup failed", app: "rawapp:failstart", err: "lifespan startup failed: database unreachable"},
		{name: "no such callable", app: "rawapp:nothing", err: "has no attribute 'nothing'"},
		{name: "no such module", app: "nomodule:app", err: "No module named 'nomodule'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.err == "" {
				g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: tc.app}})
				if r := g.mustGet(t, tc.path, 200); r.body != tc.body {
					t.Errorf("GET %s = %q; want %q", tc.path, r.body, tc.body)
				}
				return
			}
			testutil.NeedPython(t)
			log, lb := newLogger()
			p, err := asgi.NewPool(asgi.Config{Settings: pyproc.Settings{App: tc.app, Python: python, Dir: appsDir, Workers: 1}}, log)
			if err == nil {
				p.Close()
				t.Fatalf("NewPool(%s) started; want %q\n%s", tc.app, tc.err, lb)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NewPool(%s): %v; want %q", tc.app, err, tc.err)
			}
		})
	}
}

// TestReloadKeepsRequestsInFlight checks that Reload swaps in new
// workers while a slow request and a stream on the old ones complete.
func TestReloadKeepsRequestsInFlight(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Workers: 2}})
	before := g.mustGet(t, "/pid", 200).body
	var wg sync.WaitGroup
	var slow, stream result
	wg.Go(func() { slow = g.get(t, "/sleep?1") })
	wg.Go(func() { stream = g.get(t, "/stream?60") })
	g.mustGet(t, "/background", 200) // works on after its response
	time.Sleep(100 * time.Millisecond)
	if err := g.pool.Reload(); err != nil {
		t.Fatal(err)
	}
	after := g.mustGet(t, "/pid", 200).body
	wg.Wait()
	if slow.err != nil || slow.status != 200 || slow.body != "slept" {
		t.Errorf("request in flight across the reload: %d %q, %v", slow.status, slow.body, slow.err)
	}
	if stream.err != nil || strings.Count(stream.body, "data: ") != 60 {
		t.Errorf("stream across the reload: %d events, %v", strings.Count(stream.body, "data: "), stream.err)
	}
	if after == before {
		t.Errorf("pid %s serves after the reload; want a new worker", after)
	}
	g.log.waitFor(t, 10*time.Second, "rawapp: background work finished", "rawapp: lifespan shutdown ran")
	if strings.Contains(g.log.String(), "starting a replacement") {
		t.Error("a retired worker's exit was taken for a crash")
	}
	if r := g.pool.Snapshot().Restarts; r["reload"] != 2 || r["crash"] != 0 {
		t.Errorf("restarts %v after reloading 2 workers; want reload 2, no crash", r)
	}
}

// TestMaxRequests checks that a worker is recycled after its requests
// without a request failing.
func TestMaxRequests(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", MaxRequests: 5, MaxRequestsJitter: 0}})
	first := g.mustGet(t, "/pid", 200).body
	deadline := time.Now().Add(10 * time.Second)
	for n := 1; g.mustGet(t, "/pid", 200).body == first; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("worker %s served %d requests with max requests 5", first, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.log.waitFor(t, 5*time.Second, "asgi worker recycling")
	if r := g.pool.Snapshot().Restarts; r["max_requests"] < 1 {
		t.Errorf("restarts %v; want max_requests counted", r)
	}
}

// TestMaxMemory checks that a worker above MaxMemory is recycled while
// requests keep being answered.
func TestMaxMemory(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", MaxMemory: 1 << 20}}) // any Python is above 1 MiB
	g.log.waitFor(t, 10*time.Second, `why="max memory"`)
	for range 3 {
		g.mustGet(t, "/", 200)
	}
	if r := g.pool.Snapshot().Restarts; r["max_memory"] < 1 {
		t.Errorf("restarts %v; want max_memory counted", r)
	}
}
