package wsgi

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writeCalls is the number of write system calls this process made
// (/proc/self/io's syscw).
func writeCalls(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatalf("reading the process's write count: %v (this test needs Linux /proc)", err)
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("syscw: ")); ok {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no syscw in /proc/self/io")
	return 0
}

// TestWorkerSendCoalesces: the request frames of handlers that become
// runnable together, queued on one worker, and the cancels among them
// reach the worker in a few writes, not one each; every frame arrives
// whole, requests in the order of their numbers, and each cancel after
// the request it names.
func TestWorkerSendCoalesces(t *testing.T) {
	tests := []struct {
		name      string
		requests  int
		cancelled int // the first this many handlers cancel their request
	}{
		{"requests", 32, 0},
		{"requests and cancels", 32, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			s, peer := sockPair(t)
			wk := &worker{conn: s}
			frames := tc.requests + tc.cancelled
			// The worker's side: every frame, in the order it came.
			type got struct {
				typ byte
				v   uint32 // a request's id, a cancel's number
			}
			arrived := make(chan []got, 1)
			go func() {
				var all []byte
				var out []got
				buf := make([]byte, 4096)
				for len(out) < frames {
					n, err := syscall.Read(peer, buf)
					if n <= 0 {
						t.Errorf("worker end: read %d, %v", n, err)
						break
					}
					all = append(all, buf[:n]...)
					for len(all) >= FrameHeaderLen+4 {
						typ, k := ParseFrameHeader(all)
						if k != 4 {
							t.Errorf("a %d-byte %q frame, want 4 bytes", k, typ)
						}
						out = append(out, got{typ, binary.LittleEndian.Uint32(all[FrameHeaderLen:])})
						all = all[FrameHeaderLen+4:]
					}
				}
				arrived <- out
			}()

			start := make(chan struct{})
			var mu sync.Mutex
			idOf := map[uint32]uint32{} // request number -> id
			var wg sync.WaitGroup
			for id := range uint32(tc.requests) {
				wg.Go(func() {
					c := &call{frame: binary.LittleEndian.AppendUint32(AppendFrameHeader(nil, FrameRequest, 4), id)}
					<-start
					wk.sendMu.Lock()
					lead, err := wk.send(c, nil)
					wk.sendMu.Unlock()
					if err == nil && lead {
						err = wk.conn.out.Flush()
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					idOf[c.seq] = id
					mu.Unlock()
					if id < uint32(tc.cancelled) {
						wk.cancel(c.seq)
					}
				})
			}
			time.Sleep(20 * time.Millisecond) // every handler waits on start
			before := writeCalls(t)
			close(start)
			wg.Wait()
			writes := writeCalls(t) - before
			var out []got
			select {
			case out = <-arrived:
			case <-time.After(5 * time.Second):
				t.Fatal("the frames did not all arrive")
			}
			if limit := frames / 8; writes > limit {
				t.Errorf("%d frames queued at once took %d writes, want at most %d", frames, writes, limit)
			}
			seq := uint32(0)
			for _, g := range out {
				switch g.typ {
				case FrameRequest:
					seq++
					if idOf[seq] != g.v {
						t.Errorf("request %d arrived carrying id %d, sent as %d", seq, g.v, idOf[seq])
					}
				case FrameCancel:
					if g.v > seq {
						t.Errorf("cancel of request %d arrived before it", g.v)
					}
				default:
					t.Errorf("unexpected %q frame", g.typ)
				}
			}
			if seq != uint32(tc.requests) {
				t.Errorf("%d requests arrived, want %d", seq, tc.requests)
			}
		})
	}
}
