package wsgi_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// TestPacking: with the busy workers as many as the server's CPUs (one,
// here), requests go behind a quick busy worker's instead of waking an
// idle one, as long as the worker does not sleep inside its requests; an
// application that sleeps (waits for a database, say) keeps its requests
// spread over the workers. Sixteen clients at once, on four workers.
func TestPacking(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		path   string
		packed bool
	}{
		{"quick and busy: packed", "/pid", true},
		{"sleeping: spread", "/pid?sleep=0.003", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Workers: 4}})
			wsgi.SetCPUs(g.pool, 1)
			// On a loaded machine a quick answer may take longer than the
			// 5 ms window; this tests where requests go, not when.
			wsgi.SetPipelineWindow(g.pool, time.Second)
			burst := func(n int) map[int]int {
				var mu sync.Mutex
				served := map[int]int{}
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						for range n {
							r := g.get(t, tc.path)
							pid, err := strconv.Atoi(r.body)
							if r.status != 200 || err != nil {
								t.Errorf("GET %s = %d %q", tc.path, r.status, trim(r.body))
								return
							}
							mu.Lock()
							served[pid]++
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				return served
			}
			// Every worker learns how it runs (two readings of its
			// scheduling count, sampleEvery requests apart)...
			warm := 200
			if !tc.packed {
				warm = 40
			}
			burst(warm)
			// ...then where the requests go is counted. Under load a
			// request whose busy worker is being sent another's frame goes
			// to an idle worker rather than wait, so a packed burst may
			// gather on two workers: the two busiest are counted, and how
			// many requests were packed.
			before := g.pool.Snapshot().Packed
			served := burst(30)
			packedN := g.pool.Snapshot().Packed - before
			counts := make([]int, 0, len(served))
			for _, n := range served {
				counts = append(counts, n)
			}
			slices.Sort(counts)
			slices.Reverse(counts)
			const total = 16 * 30
			top2 := counts[0]
			if len(counts) > 1 {
				top2 += counts[1]
			}
			t.Logf("requests per worker %v, %d packed", counts, packedN)
			if tc.packed {
				if top2*4 < total*3 || packedN*2 < total {
					t.Errorf("requests per worker %v (of %d), %d packed: want the two busiest workers to serve 3/4 and half of them packed", counts, total, packedN)
				}
			} else if counts[0]*4 >= total*3 || packedN != 0 {
				t.Errorf("requests per worker %v (of %d), %d packed: want them spread and none packed", counts, total, packedN)
			}
		})
	}
}
