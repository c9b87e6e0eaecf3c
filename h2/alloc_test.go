//go:build !race

package h2

import (
	"testing"

	"github.com/brick-server/brick/web"
)

// TestAllocsPerStream: a kept-alive connection's streams (32 at a time, the
// 13-byte response) allocate nothing once the connection is warm.
func TestAllocsPerStream(t *testing.T) {
	addr := serveTest(t, &Config{Handler: web.HandlerFunc(helloHandler)})
	const streams = 32
	lc := newLoadClient(t, addr, streams)
	for range 20 {
		lc.do() // warm: pools, the HPACK tables, the goroutines' stacks
	}
	perRound := testing.AllocsPerRun(200, lc.do)
	if per := perRound / streams; per > 0 {
		t.Errorf("%.2f allocations per stream, want none", per)
	}
}
