//go:build !race

package bufpool

import "testing"

// TestGetPutAllocs checks that recycling a buffer allocates nothing: the
// server's zero-allocation request path parks every idle connection's
// buffers here.
func TestGetPutAllocs(t *testing.T) {
	Put(Get(4096)) // the first Put allocates its box
	if n := testing.AllocsPerRun(1000, func() { Put(Get(4096)) }); n != 0 {
		t.Fatalf("Get+Put: %v allocations, want 0", n)
	}
}
