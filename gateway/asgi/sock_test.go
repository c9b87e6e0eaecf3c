package asgi

import (
	"encoding/binary"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// sockPair returns a sock and the worker's end of its socket pair.
func sockPair(t *testing.T) (*sock, *os.File) {
	t.Helper()
	fds, err := pyproc.SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	s := newSock(fds[0])
	peer := os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { s.Close(); peer.Close() })
	return s, peer
}

// TestSockQueueOrder checks that frames queued by many goroutines at once,
// small ones coalesced and large ones written as they are, arrive whole
// and, per goroutine, in the order they were queued.
func TestSockQueueOrder(t *testing.T) {
	cases := []struct {
		name    string
		writers int
		frames  int
		sizes   []int // payload sizes, cycled
	}{
		{"small", 8, 300, []int{0, 4, 60}},
		{"large and small", 4, 40, []int{10, maxQueued + 1, 100, 3 * maxQueued}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, peer := sockPair(t)
			got := make(chan error, 1)
			go func() {
				next := make([]uint32, tc.writers+1)
				var hdr [FrameHeaderLen]byte
				for range tc.writers * tc.frames {
					if _, err := io.ReadFull(peer, hdr[:]); err != nil {
						got <- err
						return
					}
					_, id, n := ParseFrameHeader(hdr[:])
					p := make([]byte, n)
					if _, err := io.ReadFull(peer, p); err != nil {
						got <- err
						return
					}
					if n < 4 && n != 0 || n >= 4 && binary.LittleEndian.Uint32(p) != next[id] {
						t.Errorf("writer %d: frame %d out of order", id, next[id])
					}
					next[id]++
				}
				got <- nil
			}()
			var wg sync.WaitGroup
			for id := 1; id <= tc.writers; id++ {
				wg.Go(func() {
					for i := range tc.frames {
						n := tc.sizes[i%len(tc.sizes)]
						if n > 0 && n < 4 {
							n = 4
						}
						p := make([]byte, n)
						if n >= 4 {
							binary.LittleEndian.PutUint32(p, uint32(i))
						}
						head := AppendFrameHeader(nil, FrameData, uint32(id), n)
						if err := s.queue2(head, p); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := <-got; err != nil {
				t.Fatal(err)
			}
		})
	}
}
