package wsgi

import (
	"bytes"
	"testing"

	"github.com/brick-server/brick/wire"
)

// FuzzParseHead feeds arbitrary head payloads, as a misbehaving worker
// could send: ParseHead must never panic, and whatever it accepts must be
// safe to write as a response head: no field can split a line.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"200 OK", "200 OK\x00Content-Type\x00text/plain", "404 Not Found\x00Content-Length\x000",
		"200 OK\x00X\x00a\r\nb", "999 x", "200 OK\x00\x00", "200 OK\x00Content-Length\x001\x00content-length\x001",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var h Head
		if ParseHead(p, &h) != nil {
			return
		}
		if h.Status < 200 || h.Status > 599 {
			t.Fatalf("accepted status %d", h.Status)
		}
		head := wire.AppendResponseHead(nil, &wire.ResponseHead{Status: h.Status, Header: &h.Header, ContentLength: -1})
		// The head writer sets Content-Length itself.
		fields := h.Header.Len() - h.Header.Count("Content-Length")
		if lines := bytes.Count(head, []byte("\n")); lines != fields+2 || bytes.Count(head, []byte("\r")) != lines {
			t.Fatalf("head of %d fields has %d line ends:\n%q", fields, lines, head)
		}
	})
}

// FuzzRequestFrame checks that any environ the Go side encodes decodes to
// the same strings, and that DecodeRequest survives arbitrary payloads.
func FuzzRequestFrame(f *testing.F) {
	f.Add([]byte("REQUEST_METHOD\x00GET\x00PATH_INFO\x00/\x00"), []byte("body"), false)
	f.Add([]byte("\x00\x00"), []byte(nil), true)
	f.Fuzz(func(t *testing.T, strs, body []byte, fd bool) {
		DecodeRequest(strs) // arbitrary bytes as a payload: no panic
		parts := bytes.Split(strs, []byte{0})
		if len(parts)%2 != 0 {
			parts = parts[:len(parts)-1]
		}
		var e RequestEncoder
		for i := 0; i < len(parts); i += 2 {
			e.Add(parts[i], parts[i+1])
		}
		flags := uint32(0)
		if fd {
			flags = FlagBodyFD
		}
		frame := e.AppendFrame(nil, flags, body)
		got, gotFlags, gotBody, err := DecodeRequest(frame[FrameHeaderLen:])
		if err != nil || gotFlags != flags || !bytes.Equal(gotBody, body) || len(got) != len(parts) {
			t.Fatalf("round trip: err %v flags %d body %q, %d of %d strings", err, gotFlags, gotBody, len(got), len(parts))
		}
		for i := range got {
			if !bytes.Equal(got[i], parts[i]) {
				t.Fatalf("string %d: %q, want %q", i, got[i], parts[i])
			}
		}
	})
}
