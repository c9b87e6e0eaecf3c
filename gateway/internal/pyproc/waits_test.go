package pyproc

import (
	"slices"
	"testing"
	"time"
)

func TestWaitHistogram(t *testing.T) {
	if len(QueueWaitBounds)+1 != len(WaitHistogram{}.buckets) {
		t.Fatalf("%d bounds for %d buckets; want one bucket past the bounds", len(QueueWaitBounds), len(WaitHistogram{}.buckets))
	}
	for _, tc := range []struct {
		name  string
		waits []time.Duration
		want  []uint64
		sum   float64
	}{
		{name: "none", want: make([]uint64, len(QueueWaitBounds))},
		{name: "no wait", waits: []time.Duration{0, 0}, want: []uint64{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{name: "on a bound", waits: []time.Duration{time.Millisecond}, want: []uint64{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, sum: 0.001},
		{name: "past every bound", waits: []time.Duration{time.Minute, 2 * time.Second}, want: []uint64{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, sum: 62},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h WaitHistogram
			for _, d := range tc.waits {
				h.Observe(d)
			}
			got, count, sum := h.Snapshot()
			if !slices.Equal(got, tc.want) || count != uint64(len(tc.waits)) || sum != tc.sum {
				t.Errorf("Snapshot() = %v, %d, %v; want %v, %d, %v", got, count, sum, tc.want, len(tc.waits), tc.sum)
			}
		})
	}
}
