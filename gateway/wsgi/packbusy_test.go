package wsgi_test

import (
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// TestPackingCountsOnlyWorkersOnACPU: packing is for when the CPUs are
// all taken (pack.go); a worker whose request waits (a database call,
// here a sleep) takes none. With two CPUs, one worker waiting and one
// running, two clients at once must be served by two workers in
// parallel, not packed onto one while the third sits idle beside a free
// CPU. (Review finding.)
func TestPackingCountsOnlyWorkersOnACPU(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Workers: 3}})
	wsgi.SetCPUs(g.pool, 2)
	// One client at a time: one worker (the idle list is a stack) serves
	// these, and its samples say it does not block...
	for range 100 {
		g.mustGet(t, "/pid", 200)
	}
	// ...then it waits in a request that takes no CPU, and another worker
	// learns the same way (one busy worker: nothing is packed).
	waiting := make(chan result, 1)
	go func() { waiting <- g.get(t, "/pid?sleep=2") }()
	time.Sleep(20 * time.Millisecond)
	for range 100 {
		g.mustGet(t, "/pid", 200)
	}
	// Two clients at once for a while, the waiting request still waiting.
	var mu sync.Mutex
	served := map[string]int{}
	var wg sync.WaitGroup
	stop := time.Now().Add(300 * time.Millisecond)
	for range 2 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				r := g.mustGet(t, "/pid", 200)
				mu.Lock()
				served[r.body]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	w := <-waiting
	if w.status != 200 {
		t.Fatalf("waiting request: %d %v", w.status, w.err)
	}
	if n := g.pool.Snapshot().Packed; n != 0 {
		t.Errorf("two clients at once, one CPU free: %d requests packed (served by workers %v, the waiting one: %s); want none", n, served, w.body)
	}
}
