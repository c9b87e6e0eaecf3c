package pyproc

import (
	"math/rand/v2"
	"time"
)

// RequestLimit is how many requests a worker started now serves before it
// is recycled: MaxRequests plus a random 0..MaxRequestsJitter, so that
// workers started together do not all recycle at once. 0: no limit.
func (s *Settings) RequestLimit() int {
	if s.MaxRequests <= 0 {
		return 0
	}
	n := s.MaxRequests
	if s.MaxRequestsJitter > 0 {
		n += rand.IntN(s.MaxRequestsJitter + 1)
	}
	return n
}

// WatchMemory enforces MaxMemory: once a second until closing closes, it
// calls over with each worker that live lists whose resident memory, as
// rss reports it, exceeds max. A worker whose memory cannot be read (it
// just ended) is left to the pool's own watch of its end.
func WatchMemory[W any](closing <-chan struct{}, max int64, live func() []W, rss func(W) (int64, error), over func(W)) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-closing:
			return
		case <-t.C:
		}
		for _, w := range live() {
			if n, err := rss(w); err == nil && n > max {
				over(w)
			}
		}
	}
}
