package wsgi_test

import (
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// TestPackingKeepsIdleWorkersForRequestsBehindASlowOne: a quick
// application's worker that has just started a request which turns out to
// wait (a rare slow endpoint: a database call, a remote API) must not get
// the next request packed behind it while another worker sits idle: the
// request would wait the slow one out for nothing. The sampling (one
// request in 16, per worker) cannot see a rare slow endpoint, and the
// pipeline window sees only the first 5 ms of the request at the head.
// (Review finding.)
func TestPackingKeepsIdleWorkersForRequestsBehindASlowOne(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Workers: 2}})
	wsgi.SetCPUs(g.pool, 1)
	// A wide window, so that on a loaded machine the quick requests' own
	// times (and twice their usual, packAge) stay far below the age of
	// the slow request when the quick one comes, and that age below the
	// window.
	wsgi.SetPipelineWindow(g.pool, 2*time.Second)
	const slow = 1200 * time.Millisecond
	for trial := range 3 {
		// One client at a time: the last worker to finish is the next one
		// lent (the idle list is a stack), so one worker serves these; its
		// samples (every 16th request) say it does not block, and its
		// usual answer time forgets the slow request of the trial before.
		n := 30
		if trial == 0 {
			n = 100
		}
		pid := ""
		for range n {
			pid = g.mustGet(t, "/pid", 200).body
		}
		slowDone := make(chan result, 1)
		go func() { slowDone <- g.get(t, "/pid?sleep=1.2") }()
		// The slow request takes its worker first, and has run longer than
		// a quick one would (packAge: here a tenth of the window) when the
		// next comes, yet less than the window.
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		r := g.mustGet(t, "/pid", 200)
		took := time.Since(start)
		if s := <-slowDone; s.status != 200 {
			t.Fatalf("slow request: %d %v", s.status, s.err)
		}
		if took > slow/2 {
			t.Errorf("trial %d: a quick request took %v: queued on worker %s (warmed: %s) behind a %v request while the other worker was idle",
				trial, took.Round(time.Millisecond), r.body, pid, slow)
		}
	}
}
