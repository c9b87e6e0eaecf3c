//go:build !race

package server_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/brick-server/brick/web"
)

// TestAllocsKeepAlive measures heap allocations per kept-alive request,
// server and client together (the client allocates nothing), over a real
// loopback connection. The budget is zero; the bound of 0.1 per request
// leaves room for the runtime and the test framework allocating in the
// background (the server's clock ticks once a second). Reporting each
// request to an Observer is inside the budget.
func TestAllocsKeepAlive(t *testing.T) {
	var reported atomic.Int64
	count := web.ObserverFunc(func(r *web.Request, c web.Completion) {
		if c.Status == 200 && len(r.Method) > 0 {
			reported.Add(1)
		}
	})
	for _, tc := range []struct {
		name    string
		perConn bool
		obs     []web.Observer
	}{{"epoll", false, nil}, {"goroutine", true, nil},
		{"epoll/observed", false, []web.Observer{count}}, {"goroutine/observed", true, []web.Observer{count}}} {
		t.Run(tc.name, func(t *testing.T) {
			reported.Store(0)
			rc := newRawClient(t, startHello(t, tc.perConn, tc.obs...), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			for range 200 { // warm the pools and the worker's scratch space
				rc.roundTrip(t, 1)
			}
			if avg := testing.AllocsPerRun(500, func() { rc.roundTrip(t, 1) }); avg != 0 {
				t.Errorf("AllocsPerRun: %v allocations per request, want 0", avg)
			}
			const n = 5000
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range n {
				rc.roundTrip(t, 1)
			}
			runtime.ReadMemStats(&after)
			if per := float64(after.Mallocs-before.Mallocs) / n; per >= 0.1 {
				t.Errorf("%.3f allocations per request (%d in %d requests), want < 0.1",
					per, after.Mallocs-before.Mallocs, n)
			}
			if tc.obs != nil && reported.Load() < n {
				t.Errorf("%d requests reported, want at least %d", reported.Load(), n)
			}
		})
	}
}
