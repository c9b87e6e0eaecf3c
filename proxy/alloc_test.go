//go:build !race

package proxy_test

import "testing"

// TestAllocs: a proxied request over kept-alive connections allocates
// nothing in the proxy (BenchmarkProxy's setup: the handler alone).
func TestAllocs(t *testing.T) {
	h, r, w := benchSetup(t)
	serve := func() {
		w.h.Reset()
		if err := h.ServeHTTP(w, r); err != nil || w.status != 200 {
			t.Fatalf("status %d, %v", w.status, err)
		}
	}
	serve() // the pooled connection and its buffers
	if n := testing.AllocsPerRun(200, serve); n > 0 {
		t.Errorf("%.1f allocations per proxied request, want 0", n)
	}
}
