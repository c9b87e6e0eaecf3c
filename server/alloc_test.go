//go:build !race

package server_test

import (
	"runtime"
	"testing"
)

// TestAllocsKeepAlive measures heap allocations per kept-alive request,
// server and client together (the client allocates nothing), over a real
// loopback connection. The budget is zero; the bound of 0.1 per request
// leaves room for the runtime and the test framework allocating in the
// background (the server's clock ticks once a second).
func TestAllocsKeepAlive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perConn bool
	}{{"epoll", false}, {"goroutine", true}} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newRawClient(t, startHello(t, tc.perConn), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
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
		})
	}
}
