package server_test

import (
	"os"
	"testing"
	"time"
)

// TestWatchedDescriptors: a watched connection (an idle HTTP/2 one here)
// costs the server one descriptor, as a parked HTTP/1.1 connection does;
// it held two, a duplicate in Go's netpoller beside the loop's, so a
// server ran out of descriptors at half the connections its limit
// allowed.
func TestWatchedDescriptors(t *testing.T) {
	const n = 50
	for _, m := range []mode{{name: "h2c"}, {name: "h2", tls: true}} {
		t.Run(m.name, func(t *testing.T) {
			e := startH2(t, m, nil)
			before := openFDs(t)
			for range n {
				c := dialH2Raw(t, e)
				c.get(1)
			}
			time.Sleep(300 * time.Millisecond) // parked
			// Each connection: the client's descriptor and the server's.
			if got := openFDs(t) - before; got > 2*n+5 {
				t.Errorf("%d descriptors for %d idle connections, want %d (one each side)", got, n, 2*n)
			}
		})
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
