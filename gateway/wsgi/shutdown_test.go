package wsgi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// TestShutdown stops a pool that has one worker busy and one request
// waiting for it. The waiting request is answered 503 and logged as
// dropped by the shutdown, not as a full queue; the busy worker finishes
// its request within Grace (or is killed past it), and is never logged as
// failed and replaced.
func TestShutdown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		grace time.Duration
		sleep string // how long the busy request runs, in seconds
		// stream makes the busy request a streamed response (1 KiB every
		// 50 ms for 10 s) instead of a sleep.
		stream bool
		// serverFirst stops the server with a short shutdown timeout
		// before the pool closes, as Brick does on SIGTERM; else the
		// pool closes under a running server, as an old configuration's
		// pool does after a reload.
		serverFirst bool
		preload     bool     // the workers are forked by a zygote
		finished    bool     // the application finishes its request
		busyStatus  int      // what the busy request's client gets; 0: cut off
		queuedGets  int      // what the waiting request's client gets; 0: cut off
		logs        []string // in the log
		closeWithin time.Duration
	}{
		{name: "pool closes under a running server", grace: 20 * time.Second, sleep: "1",
			finished: true, busyStatus: 200, queuedGets: 503, closeWithin: 10 * time.Second,
			logs: []string{"waiting for busy workers to finish their request", "shutting down: request waiting for a worker dropped",
				"why=\"wsgi: the worker pool is closed\""}},
		{name: "after the server's shutdown timeout", grace: 20 * time.Second, sleep: "1", serverFirst: true,
			finished: true, closeWithin: 10 * time.Second,
			logs: []string{"waiting for busy workers to finish their request", "shutting down: request waiting for a worker dropped",
				"context canceled"}},
		{name: "busy past the grace period", grace: 300 * time.Millisecond, sleep: "20", serverFirst: true,
			closeWithin: 5 * time.Second,
			logs: []string{"shutting down: worker still busy after the grace period; killing it",
				"shutting down: request cut off; its worker ended and is not replaced"}},
		{name: "streaming past the grace period", grace: 300 * time.Millisecond, stream: true,
			queuedGets: 503, closeWithin: 5 * time.Second,
			logs: []string{"shutting down: worker still busy after the grace period; killing it",
				"shutting down: request cut off; its worker ended and is not replaced"}},
		{name: "busy past the grace period, preload", grace: 300 * time.Millisecond, sleep: "20", serverFirst: true, preload: true,
			closeWithin: 5 * time.Second,
			logs: []string{"shutting down: worker still busy after the grace period; killing it",
				"shutting down: request cut off; its worker ended and is not replaced"}},
		{name: "pool closes under a running server, preload", grace: 20 * time.Second, sleep: "1", preload: true,
			finished: true, busyStatus: 200, queuedGets: 503, closeWithin: 10 * time.Second,
			logs: []string{"waiting for busy workers to finish their request", "shutting down: request waiting for a worker dropped"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notes := filepath.Join(t.TempDir(), "notes")
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Grace: tc.grace, Env: []string{"RAWAPP_CLOSE_LOG=" + notes}}, Preload: tc.preload})
			procs := append(wsgi.WorkerPIDs(g.pool), wsgi.ZygotePIDs(g.pool)...)
			var wg sync.WaitGroup
			var busy, queued result
			path := "/sleep?note=finished&s=" + tc.sleep
			if tc.stream {
				path = "/close?mode=slow&name=finished"
			}
			wg.Go(func() { busy = g.get(t, path) })
			waitUntil(t, 10*time.Second, "the worker busy", func() bool { st := g.pool.Snapshot(); return st.Busy == 1 })
			wg.Go(func() { queued = g.get(t, "/hello") })
			waitUntil(t, 10*time.Second, "a request queued", func() bool { return g.pool.Snapshot().QueueLength == 1 })

			if tc.serverFirst {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				if err := g.srv.Shutdown(ctx); err == nil {
					t.Errorf("Shutdown returned nil with a request in flight")
				}
				cancel()
				// The server cancelled the requests' context: the
				// waiting one leaves the queue before the pool closes.
				waitUntil(t, 10*time.Second, "the queue empty", func() bool { return g.pool.Snapshot().QueueLength == 0 })
			}
			start := time.Now()
			g.pool.Close()
			if took := time.Since(start); took > tc.closeWithin {
				t.Errorf("Close took %v, want at most %v", took, tc.closeWithin)
			}
			wg.Wait()
			for _, pid := range procs {
				if isAlive(pid) {
					t.Errorf("process %d of the pool (of %v) outlived Close", pid, procs)
				}
			}

			b, _ := os.ReadFile(notes)
			if got := strings.Contains(string(b), "finished"); got != tc.finished {
				t.Errorf("the application finished its request: %v, want %v", got, tc.finished)
			}
			for _, c := range []struct {
				what   string
				r      result
				status int
			}{{"busy", busy, tc.busyStatus}, {"queued", queued, tc.queuedGets}} {
				if c.status == 0 && c.r.err == nil {
					t.Errorf("the %s request got %d %q; want its connection cut", c.what, c.r.status, c.r.body)
				}
				if c.status != 0 && (c.r.err != nil || c.r.status != c.status) {
					t.Errorf("the %s request got %d %q, %v; want %d", c.what, c.r.status, c.r.body, c.r.err, c.status)
				}
			}
			if tc.queuedGets == 503 && !strings.Contains(queued.body, "shutting down") {
				t.Errorf("the queued request's 503 says %q; want it to say the server is shutting down", queued.body)
			}
			g.log.waitFor(t, 5*time.Second, tc.logs...)
			for _, bad := range []string{"replacing it", "queue is full", "no worker free", "starting a replacement", "worker failed"} {
				if line := g.log.line(bad); line != "" {
					t.Errorf("the log says %q while stopping: %s", bad, line)
				}
			}
		})
	}
	noZombies(t)
}
