package coalesce

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"syscall"
	"testing"
)

// sink is a write function that records what it was given, and fails
// once failAt bytes would be exceeded (0: never).
type sink struct {
	mu     sync.Mutex
	got    []byte
	calls  int
	failAt int
}

func (s *sink) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failAt > 0 && len(s.got)+len(p) > s.failAt {
		return syscall.EPIPE
	}
	s.got = append(s.got, p...)
	return nil
}

// frame is a test frame: writer id, sequence number, and n bytes of
// padding, with its length first.
func frame(id, i uint32, n int) (head, payload []byte) {
	head = binary.LittleEndian.AppendUint32(nil, uint32(8+n))
	head = binary.LittleEndian.AppendUint32(head, id)
	payload = binary.LittleEndian.AppendUint32(make([]byte, 0, 4+n), i)
	return head, append(payload, bytes.Repeat([]byte{'x'}, n)...)
}

// TestOrder: frames queued by many goroutines at once, small ones
// coalesced and large ones written directly, arrive whole and, per
// goroutine, in the order they were queued.
func TestOrder(t *testing.T) {
	tests := []struct {
		name    string
		writers int
		frames  int
		sizes   []int // padding, cycled
	}{
		{"small", 8, 300, []int{0, 4, 60}},
		{"large and small", 4, 40, []int{10, MaxQueued + 1, 100, 3 * MaxQueued}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s sink
			w := New(s.write)
			var wg sync.WaitGroup
			for id := range uint32(tc.writers) {
				wg.Go(func() {
					for i := range tc.frames {
						if err := w.Queue(frame(id, uint32(i), tc.sizes[i%len(tc.sizes)])); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			next := make([]uint32, tc.writers)
			b := s.got
			for n := 0; len(b) > 0; n++ {
				size := binary.LittleEndian.Uint32(b)
				id, i := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
				if i != next[id] {
					t.Fatalf("frame %d: writer %d's frame %d, want its frame %d", n, id, i, next[id])
				}
				next[id]++
				b = b[4+size:]
			}
			for id, n := range next {
				if n != uint32(tc.frames) {
					t.Errorf("writer %d: %d frames arrived, want %d", id, n, tc.frames)
				}
			}
		})
	}
}

// TestBroken: once a write fails, nothing more is written (the frames
// after it would follow a frame cut short), and every later call says
// why.
func TestBroken(t *testing.T) {
	tests := []struct {
		name  string
		after func(w *Writer) error
	}{
		{"add", func(w *Writer) error { _, _, err := w.Add([]byte("x"), nil); return err }},
		{"queue", func(w *Writer) error { return w.Queue([]byte("x"), nil) }},
		{"exclusive", func(w *Writer) error {
			return w.Exclusive(func(write func([]byte) error) error { return write([]byte("x")) })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sink{failAt: 8}
			w := New(s.write)
			if err := w.Queue([]byte("12345678"), nil); err != nil {
				t.Fatal(err)
			}
			if err := w.Queue([]byte("9"), nil); !errors.Is(err, syscall.EPIPE) {
				t.Fatalf("the failing write returned %v, want EPIPE", err)
			}
			calls := s.calls
			err := tc.after(w)
			if !errors.Is(err, ErrBroken) || !errors.Is(err, syscall.EPIPE) {
				t.Errorf("after a failed write: %v, want ErrBroken wrapping EPIPE", err)
			}
			if s.calls != calls || string(s.got) != "12345678" {
				t.Errorf("written after the failure: %d calls, %q", s.calls-calls, s.got)
			}
		})
	}
}

// TestFollowerFlush: a follower that flushes returns once its frame, in
// the leader's batch, was written, or with the error that kept it from
// the socket, whichever of the two takes the batch.
func TestFollowerFlush(t *testing.T) {
	tests := []struct {
		name        string
		failAt      int
		leaderFirst bool // the leader flushes before the follower
	}{
		{"written, leader first", 0, true},
		{"written, follower first", 0, false},
		{"failed, leader first", 1, true},
		{"failed, follower first", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sink{failAt: tc.failAt}
			w := New(s.write)
			_, lead, err := w.Add([]byte("leader"), nil)
			if !lead || err != nil {
				t.Fatalf("first Add = %v, %v; want the lead", lead, err)
			}
			if _, lead, err := w.Add([]byte("follower"), nil); lead || err != nil {
				t.Fatalf("second Add = %v, %v; want a follower", lead, err)
			}
			var leaderErr error
			if tc.leaderFirst {
				leaderErr = w.Flush()
			}
			err = w.Flush()
			if !tc.leaderFirst {
				leaderErr = w.Flush()
			}
			if tc.failAt == 0 {
				if err != nil || leaderErr != nil || string(s.got) != "leaderfollower" {
					t.Errorf("Flush = %v (leader %v), written %q; want both frames", err, leaderErr, s.got)
				}
				return
			}
			if !errors.Is(err, syscall.EPIPE) || !errors.Is(leaderErr, syscall.EPIPE) {
				t.Errorf("Flush = %v (leader %v); want EPIPE for both", err, leaderErr)
			}
		})
	}
}

// TestSent: Sent tells a frame written whole from one whose batch failed,
// whoever wrote the batch, and a failure after a frame was written is not
// that frame's.
func TestSent(t *testing.T) {
	tests := []struct {
		name     string
		failAt   int  // as sink's: the second batch fails when 6
		leader   bool // the second batch's leader flushes before Sent
		wantLast bool // the second batch's follower was written
	}{
		{"written by the leader", 0, true, true},
		{"written by Sent", 0, false, true},
		{"failed, written by the leader", 6, true, false},
		{"failed, written by Sent", 6, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sink{failAt: tc.failAt}
			w := New(s.write)
			first, lead, err := w.Add([]byte("one"), nil)
			if !lead || err != nil {
				t.Fatalf("first Add = %v, %v; want the lead", lead, err)
			}
			if err := w.Sent(first); err != nil {
				t.Fatalf("the first batch: %v", err)
			}
			if _, lead, err := w.Add([]byte("two"), nil); !lead || err != nil {
				t.Fatalf("second batch's Add = %v, %v; want the lead", lead, err)
			}
			last, lead, err := w.Add([]byte("three"), nil)
			if lead || err != nil {
				t.Fatalf("follower's Add = %v, %v; want a follower", lead, err)
			}
			if tc.leader {
				w.Flush()
			}
			if err := w.Sent(first); err != nil {
				t.Errorf("Sent(first) = %v after it was written", err)
			}
			if err := w.Sent(0); err != nil {
				t.Errorf("Sent(0) = %v, want nil", err)
			}
			err = w.Sent(last)
			if tc.wantLast && err != nil {
				t.Errorf("Sent(follower) = %v, written %q", err, s.got)
			}
			if !tc.wantLast && !errors.Is(err, syscall.EPIPE) {
				t.Errorf("Sent(follower) = %v in a failed batch, want EPIPE", err)
			}
		})
	}
}
