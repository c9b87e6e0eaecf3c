package pyproc

import (
	"sync/atomic"
	"time"
)

// QueueWaitBounds are the upper bounds, in seconds, of the histogram of
// how long requests waited for a worker; the WSGI and ASGI gateways use
// the same ones, so that their series add up.
var QueueWaitBounds = []float64{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30}

// WaitHistogram counts waits by QueueWaitBounds without a lock: observing
// is one or two atomic additions, cheap enough for every request. The
// zero value is ready.
type WaitHistogram struct {
	// buckets[i] counts the waits in (bound i-1, bound i]; the last one,
	// those past every bound. Cumulated when read.
	buckets [12]atomic.Uint64
	nanos   atomic.Int64
}

// Observe counts one wait of d.
func (h *WaitHistogram) Observe(d time.Duration) {
	i := 0
	if d > 0 {
		sec := d.Seconds()
		for i < len(QueueWaitBounds) && sec > QueueWaitBounds[i] {
			i++
		}
		h.nanos.Add(int64(d))
	}
	h.buckets[i].Add(1)
}

// Snapshot returns the cumulative counts per bound of QueueWaitBounds
// (as Prometheus counts them), the number of waits and their sum in
// seconds.
func (h *WaitHistogram) Snapshot() (cumulative []uint64, count uint64, sum float64) {
	cumulative = make([]uint64, len(QueueWaitBounds))
	for i := range QueueWaitBounds {
		count += h.buckets[i].Load()
		cumulative[i] = count
	}
	count += h.buckets[len(QueueWaitBounds)].Load()
	return cumulative, count, time.Duration(h.nanos.Load()).Seconds()
}
