//go:build !race

package pyproc

import (
	"testing"
	"time"
)

// Every ASGI request observes its wait for a worker: that must not
// allocate.
func TestWaitHistogramAllocs(t *testing.T) {
	var h WaitHistogram
	if n := testing.AllocsPerRun(100, func() { h.Observe(0); h.Observe(3 * time.Millisecond) }); n != 0 {
		t.Errorf("%v allocs per Observe, want 0", n)
	}
}
