//go:build !race

package wire

import (
	"io"
	"testing"
)

// The hot path promises no allocations once a connection's RequestHead and
// buffers have grown to size (STYLE.md §10). The race detector allocates,
// hence the build tag.

func TestParseAllocs(t *testing.T) {
	buf := []byte(browserGET)
	var (
		p RequestParser
		r RequestHead
	)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Parse(&r, buf, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("parsing a browser GET into a reused Request: %v allocs, want 0", allocs)
	}
}

func TestParseIncrementalAllocs(t *testing.T) {
	buf := []byte(browserGET)
	var (
		p RequestParser
		r RequestHead
	)
	allocs := testing.AllocsPerRun(20, func() {
		for k := 1; k <= len(buf); k += 7 {
			p.Parse(&r, buf[:k], nil)
		}
		p.Parse(&r, buf, nil)
	})
	if allocs != 0 {
		t.Fatalf("parsing a browser GET in 7-byte reads: %v allocs, want 0", allocs)
	}
}

func TestAppendResponseHeadAllocs(t *testing.T) {
	var buf []byte
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendResponseHead(buf[:0], &typicalResponse)
	})
	if allocs != 0 {
		t.Fatalf("AppendResponseHead into a reused buffer: %v allocs, want 0", allocs)
	}
}

func TestChunkedAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(20, func() {
		var d ChunkedDecoder
		in := chunkedBody
		for {
			n, _, err := d.Decode(in)
			in = in[n:]
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("decoding a chunked body with trailers: %v allocs, want 0", allocs)
	}
}

func TestAppendChunkAllocs(t *testing.T) {
	p := make([]byte, 1000)
	var buf []byte
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendChunk(buf[:0], p)
		buf = append(buf, LastChunk...)
	})
	if allocs != 0 {
		t.Fatalf("AppendChunk into a reused buffer: %v allocs, want 0", allocs)
	}
}
