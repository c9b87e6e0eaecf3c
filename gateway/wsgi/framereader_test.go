package wsgi

import (
	"bytes"
	"strings"
	"testing"
)

// TestFrameReaderShrinks: a buffer grown for one large head goes back to
// its usual size once the response is consumed, instead of staying at the
// largest frame the worker ever sent.
func TestFrameReaderShrinks(t *testing.T) {
	tests := []struct {
		name     string
		head     int
		leftover string // bytes behind the end frame
		wantLen  int
	}{
		{"small head", 100, "", 1024},
		{"large head", 100 << 10, "", 1024},
		{"large head, next frame behind", 100 << 10, "D\x00\x00\x00\x00", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stream []byte
			stream = AppendFrameHeader(stream, FrameHead, tc.head)
			stream = append(stream, "200 OK"+strings.Repeat("x", tc.head-6)...)
			stream = AppendFrameHeader(stream, FrameEnd, 0)
			stream = append(stream, tc.leftover...)
			fr := newFrameReader(bytes.NewReader(stream), 1024, maxControlFrame)
			for _, want := range []byte{FrameHead, FrameEnd} {
				if typ, _, err := fr.readFrame(); err != nil || typ != want {
					t.Fatalf("readFrame = %q, %v; want %q", typ, err, want)
				}
			}
			grown := len(fr.buf)
			fr.shrink()
			want := tc.wantLen
			if want < 0 {
				want = grown // something is left to read: nothing moves
			}
			if len(fr.buf) != want {
				t.Errorf("buffer after shrink: %d bytes, want %d", len(fr.buf), want)
			}
		})
	}
}
