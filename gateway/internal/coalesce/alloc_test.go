//go:build !race

package coalesce

import "testing"

// TestQueueAllocs: queueing a frame and writing the batch reuse the
// Writer's two buffers: nothing is allocated per frame.
func TestQueueAllocs(t *testing.T) {
	w := New(func([]byte) error { return nil })
	head, payload := []byte("head:"), []byte("a request frame's payload")
	allocs := testing.AllocsPerRun(500, func() {
		if err := w.Queue(head, payload); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per queued frame, want 0", allocs)
	}
}
