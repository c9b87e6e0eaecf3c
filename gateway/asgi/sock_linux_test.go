package asgi

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
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

// TestSockCoalesces checks that the start frames of requests that become
// runnable together reach the worker in a few writes, not one each: with
// one processor, 64 handlers queueing at once cost the Go side one or two
// write(2) calls.
func TestSockCoalesces(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s, peer := sockPair(t)
	go io.Copy(io.Discard, peer)
	frame := frameBytes(FrameStart, 1, "a start frame's scope strings")
	const n = 64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			if err := s.queue(frame); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // every handler waits on start
	before := writeCalls(t)
	close(start)
	wg.Wait()
	if writes := writeCalls(t) - before; writes > n/8 {
		t.Errorf("%d frames queued at once took %d writes, want at most %d", n, writes, n/8)
	}
}
