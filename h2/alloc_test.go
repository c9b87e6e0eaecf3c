//go:build !race

package h2

import (
	"testing"

	"github.com/brick-server/brick/web"
)

// TestAllocsPerStream: a kept-alive connection's streams (32 at a time)
// allocate nothing once the connection is warm: the 13-byte response, and
// a 48 KiB file sent with web.SendFile (three frames, read straight into
// a pooled buffer rather than a buffer of the request's own).
func TestAllocsPerStream(t *testing.T) {
	sf := testFile(t, 48<<10)
	for _, tc := range []struct {
		name    string
		handler web.Handler
	}{
		{"hello", web.HandlerFunc(helloHandler)},
		{"file", sf.handler()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveTest(t, &Config{Handler: tc.handler})
			const streams = 32
			lc := newLoadClient(t, addr, streams)
			for range 20 {
				lc.do() // warm: pools, the HPACK tables, the goroutines' stacks
			}
			perRound := testing.AllocsPerRun(200, lc.do)
			if per := perRound / streams; per > 0 {
				t.Errorf("%.2f allocations per stream, want none", per)
			}
		})
	}
}
