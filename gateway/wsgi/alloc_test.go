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
