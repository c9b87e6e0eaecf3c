package h2

import (
	"testing"
	"time"
)

// TestIdleRelease: a connection that served requests and then waits idle
// gives back, after releaseAfter, what only a busy one needs: the streams
// kept for reuse, the queue, the HEADERS buffer, the header block's
// fields and the cached field values.
func TestIdleRelease(t *testing.T) {
	cfg := &Config{}
	addr := serveTest(t, cfg)
	c := dial(t, addr)
	c.request(1, "GET", "/", true)
	if s := c.status(1); s != "200" {
		t.Fatalf("status %s", s)
	}
	hc := liveConns(t, cfg)
	held := func() (what string) {
		hc.mu.Lock()
		defer hc.mu.Unlock()
		switch {
		case hc.free != nil:
			return "kept streams"
		case hc.runq != nil:
			return "the run queue"
		case len(hc.streams) > 0:
			return "open streams"
		}
		hc.wmu.Lock()
		defer hc.wmu.Unlock()
		if hc.vals != nil {
			return "cached values"
		}
		return ""
	}
	deadline := time.Now().Add(5 * time.Second)
	for held() != "" && time.Now().Before(deadline) {
		time.Sleep(releaseAfter / 2)
	}
	if what := held(); what != "" {
		t.Fatalf("an idle connection still holds %s", what)
	}
}

// TestIdleTimeoutAfterStream: the idle timeout counts from the end of the
// last stream, also when the client sends nothing after its request (the
// read loop was then waiting with no deadline, set while the stream was
// open, and the connection was never timed out).
func TestIdleTimeoutAfterStream(t *testing.T) {
	addr := serveTest(t, &Config{Idle: 300 * time.Millisecond})
	c := dial(t, addr)
	c.request(1, "GET", "/", true)
	start := time.Now()
	c.goAway(0) // NO_ERROR
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("GOAWAY after %v, want about the idle timeout", d)
	}
}
