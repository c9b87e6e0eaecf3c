//go:build !race

package server_test

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
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

// TestAllocsReason: a handler's reason phrase (web.SetReason, as the WSGI
// gateway passes on its application's) costs no allocation per request.
func TestAllocsReason(t *testing.T) {
	body, reason := []byte("Hello, World!"), []byte("Everything Fine")
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		web.SetReason(w, reason)
		w.Write(body)
		return nil
	})
	for _, perConn := range []bool{false, true} {
		addr := loopback.Serve(t, &server.Server{Handler: h, GoroutinePerConn: perConn})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.Write(req)
		first := make([]byte, 4096)
		n, err := c.Read(first)
		if err != nil || !bytes.HasPrefix(first[:n], []byte("HTTP/1.1 200 Everything Fine\r\n")) || !bytes.HasSuffix(first[:n], body) {
			t.Fatalf("first response %q, %v", first[:n], err)
		}
		resp := first[:n] // the Date field has a fixed width
		rt := func() {
			c.Write(req)
			if _, err := io.ReadFull(c, resp); err != nil {
				t.Fatal(err)
			}
		}
		for range 200 {
			rt()
		}
		if avg := testing.AllocsPerRun(500, rt); avg != 0 {
			t.Errorf("perConn=%v: %v allocations per request, want 0", perConn, avg)
		}
	}
}
