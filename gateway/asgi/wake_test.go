package asgi

import (
	"io"
	"testing"
	"time"
)

// batchReader hands the reader one batch per Read, as the worker's
// socket does one write of its event loop, and says when the reader
// waits for the next.
type batchReader struct {
	batches chan []byte
	waiting chan struct{}
	cur     []byte
}

func (b *batchReader) Read(p []byte) (int, error) {
	if len(b.cur) == 0 {
		b.waiting <- struct{}{}
		next, ok := <-b.batches
		if !ok {
			return 0, io.EOF
		}
		b.cur = next
	}
	n := copy(p, b.cur)
	b.cur = b.cur[n:]
	return n, nil
}

// TestReaderWakesOncePerBatch: what the worker sent in one write (a
// head, its body and its end) reaches the handler with one wake, after
// all of it is routed, so that a HEAD's relay sees the end with the head
// and keeps the response's Content-Length; and the frames before one the
// reader must wait for are not held back by it.
func TestReaderWakesOncePerBatch(t *testing.T) {
	whole := func(id uint32) []byte {
		b := frameBytes(FrameHead, id, "200")
		b = append(b, frameBytes(FrameData, id, "hello")...)
		return append(b, frameBytes(FrameEnd, id, "")...)
	}
	split := whole(10)
	tests := []struct {
		name    string
		batches [][]byte
		// wakes[i] is how often streams 9 and 10 were woken by batch
		// i, counted once the reader waits for the next.
		wakes [][2]int
	}{
		{"a whole response in one write", [][]byte{whole(9)}, [][2]int{{1, 0}}},
		{"two streams' responses in one write", [][]byte{append(whole(9), whole(10)...)}, [][2]int{{1, 1}}},
		{"a frame cut between writes", [][]byte{append(whole(9), split[:5]...), split[5:]}, [][2]int{{1, 0}, {0, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &worker{streams: map[uint32]*stream{}}
			var ss [2]*stream
			for i, id := range []uint32{9, 10} {
				// Room for every wake: the test counts them.
				ss[i] = &stream{wake: make(chan struct{}, 8), credit: make(chan struct{}, 8)}
				ss[i].reset(id, w)
				w.streams[id] = ss[i]
			}
			src := &batchReader{batches: make(chan []byte), waiting: make(chan struct{})}
			done := make(chan error, 1)
			go func() { done <- w.readLoop(newFrameReader(src)) }()
			await := func() {
				select {
				case <-src.waiting:
				case err := <-done:
					t.Fatalf("the reader ended: %v", err)
				case <-time.After(5 * time.Second):
					t.Fatal("the reader did not wait for the worker")
				}
			}
			await()
			for i, b := range tc.batches {
				src.batches <- b
				await()
				for j, s := range ss {
					if got := len(s.wake); got != tc.wakes[i][j] {
						t.Fatalf("after batch %d stream %d was woken %d times; want %d", i, s.id, got, tc.wakes[i][j])
					}
					if got := len(s.wake); got > 0 {
						if head, data, end := s.take(); !head || string(data) != "hello" || !end {
							t.Fatalf("stream %d woken with head %v, data %q, end %v; want the whole response", s.id, head, data, end)
						}
						drain(s.wake)
					}
				}
			}
			close(src.batches)
			if err := <-done; err != io.EOF {
				t.Fatalf("readLoop: %v; want EOF", err)
			}
		})
	}
}
