package server

import (
	"testing"
	"unsafe"
)

// TestParkedConnSize guards the memory budget of an idle connection. A
// parked connection is one pollConn (and an 8-byte table slot), with no
// goroutine and no buffer; at 192 bytes it fits the runtime's 192-byte size
// class, which keeps 10,000 idle connections under 0.5 KiB each all told.
// A field added here costs every idle connection a whole size class.
func TestParkedConnSize(t *testing.T) {
	if got := unsafe.Sizeof(pollConn{}); got > 192 {
		t.Fatalf("pollConn is %d bytes, over the 192-byte budget of an idle connection", got)
	}
}
