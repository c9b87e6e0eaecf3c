package wsgi

import (
	"bytes"
	"fmt"
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

// TestFrameReaderSample: an end frame's one-byte sample (doc.go) is taken
// aside, read whole or by header, and the end frame reads as empty; an end
// frame with more is a protocol error.
func TestFrameReaderSample(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		sample  byte
		err     error
	}{
		{"no sample", "", 0, nil},
		{"blocked", "b", sampleBlocked, nil},
		{"ran", "r", sampleRan, nil},
		{"two bytes", "br", 0, errEndPayload},
	}
	for _, tc := range tests {
		for _, whole := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, whole %v", tc.name, whole), func(t *testing.T) {
				stream := AppendFrameHeader(nil, FrameEnd, len(tc.payload))
				stream = append(stream, tc.payload...)
				stream = AppendFrameHeader(stream, FrameEnd, 0) // the next response's
				fr := newFrameReader(bytes.NewReader(stream), 1024, maxControlFrame)
				var (
					typ byte
					n   int
					err error
				)
				if whole {
					var p []byte
					typ, p, err = fr.readFrame()
					n = len(p)
				} else {
					var k uint32
					typ, k, err = fr.header()
					n = int(k)
				}
				if err != tc.err {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				if err != nil {
					return
				}
				if typ != FrameEnd || n != 0 {
					t.Errorf("frame %q with %d bytes, want an empty end frame", typ, n)
				}
				if got := fr.takeSample(); got != tc.sample {
					t.Errorf("sample %q, want %q", got, tc.sample)
				}
				if got := fr.takeSample(); got != 0 {
					t.Errorf("sample taken twice: %q", got)
				}
				if typ, _, err := fr.readFrame(); err != nil || typ != FrameEnd {
					t.Errorf("next frame %q, %v; want the next end frame", typ, err)
				}
			})
		}
	}
}
