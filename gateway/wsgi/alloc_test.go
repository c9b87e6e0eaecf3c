//go:build !race

package wsgi

import (
	"syscall"
	"testing"
	"time"
)

// TestSockReadAllocs: waiting for a worker's answer, directly or in the
// poller, allocates nothing.
func TestSockReadAllocs(t *testing.T) {
	s, peer := sockPair(t)
	buf := make([]byte, 64)
	msg := []byte("answer")
	s.SetDeadline(time.Now().Add(time.Minute))
	allocs := testing.AllocsPerRun(200, func() {
		syscall.Write(peer, msg)
		if n, err := s.Read(buf); n != len(msg) || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("sock.Read: %v allocations per read, want 0", allocs)
	}
}

// TestWorkerSendAllocs: queueing a request frame (and a cancel) for a
// worker and writing the batch allocate nothing.
func TestWorkerSendAllocs(t *testing.T) {
	s, peer := sockPair(t)
	go func() {
		buf := make([]byte, 4096)
		for {
			if n, _ := syscall.Read(peer, buf); n <= 0 {
				return
			}
		}
	}()
	wk := &worker{conn: s}
	s.writeTimeout = time.Minute
	c := &call{frame: AppendFrameHeader(nil, FrameRequest, 100)}
	c.frame = append(c.frame, make([]byte, 100)...)
	allocs := testing.AllocsPerRun(500, func() {
		wk.sendMu.Lock()
		lead, err := wk.send(c, nil)
		wk.sendMu.Unlock()
		if err == nil && lead {
			err = s.out.Flush()
		}
		if err != nil {
			t.Fatal(err)
		}
		wk.cancel(c.seq)
	})
	if allocs != 0 {
		t.Errorf("worker.send: %v allocations per request, want 0", allocs)
	}
}
