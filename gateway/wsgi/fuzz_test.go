package wsgi

import (
	"bytes"
	"io"
	"net/url"
	"slices"
	"strings"
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
		"200 OK\x00Set-Cookie\x00 a=b ", "200 OK\x00X\x00\t\t",
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
		for _, fl := range h.Header.Fields() {
			if v := fl.Value; len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
				t.Fatalf("field %s kept whitespace around its value: %q", fl.Name, v)
			}
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
		// The strings were split at NULs, so none holds one.
		if err != nil || gotFlags != flags|FlagNoNul || !bytes.Equal(gotBody, body) || len(got) != len(parts) {
			t.Fatalf("round trip: err %v flags %d body %q, %d of %d strings", err, gotFlags, gotBody, len(got), len(parts))
		}
		for i := range got {
			if !bytes.Equal(got[i], parts[i]) {
				t.Fatalf("string %d: %q, want %q", i, got[i], parts[i])
			}
		}
	})
}

// FuzzFrameStream reads what a worker could send (its frames, arbitrary
// bytes from a broken or hostile process) the way the handler does, with
// the stream cut into reads of every size and a buffer of several sizes:
// the response read must not depend on either, and must match a plain
// decoder of the whole stream. split picks the read size (its low five
// bits) and the buffer size (the rest).
func FuzzFrameStream(f *testing.F) {
	frame := func(typ byte, payload string) string {
		return string(AppendFrameHeader(nil, typ, len(payload))) + payload
	}
	head, end := frame(FrameHead, "200 OK\x00Content-Type\x00text/plain"), frame(FrameEnd, "")
	for _, s := range []string{
		head + frame(FrameData, "hello") + end,
		head + frame(FrameData, "hel") + frame(FrameData, "") + frame(FrameData, "lo") + end + head,
		head + frame(FrameData, strings.Repeat("x", 100)) + end,
		head + frame(FrameData, "partial") + frame(FrameAbort, "Traceback: boom"),
		frame(FrameAbort, "Traceback: boom"),
		head + frame(FrameEnd, "abc") + head + end,
		head + frame(FrameData, "sampled") + frame(FrameEnd, "b"),
		head + frame(FrameEnd, "r") + head + end,
		head + frame(FrameEnd, "br"),
		head + frame(FrameData, "cut sh"),
		head + frame('Z', "?") + end,
		head + frame(FrameAbort, strings.Repeat("t", 50)),
		frame(FrameHead, strings.Repeat("h", 50)) + end,
		"H\xff\xff\xff\xff",
		head + "D\xff\xff\xff\xffxx",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(0x41))
	}
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		const limit = 40
		want := decodeStream(stream, limit)
		bufSize := 1 + int(split>>5)*9
		for _, n := range []int{len(stream) + 1, 1, int(split&31) + 1} {
			src := &chunkReader{b: stream, n: n}
			fr := newFrameReader(src, bufSize, limit)
			got := readStream(&fr)
			got.consumed = src.read - (fr.w - fr.r)
			if want.end == "broken" && got.end == "broken" {
				continue
			}
			if got != want {
				t.Fatalf("reads of %d bytes, buffer of %d:\n got %+v\nwant %+v", n, bufSize, got, want)
			}
		}
	})
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b    []byte
	n    int
	read int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	c.read += k
	return k, nil
}

// streamOutcome is what one response read from a worker amounts to.
type streamOutcome struct {
	head, body, abort string
	end               string // "end", "abort" or "broken"
	sample            byte   // the end frame's sample, 0 if none
	consumed          int    // bytes of the stream it took, when not broken
}

// readStream reads one response as Handler.relay and Handler.pump do: the
// first frame whole; the rest frame by frame when it is all buffered, else
// streamed.
func readStream(fr *frameReader) (o streamOutcome) {
	o.end = "broken"
	typ, p, err := fr.readFrame()
	switch {
	case err != nil:
		return o
	case typ == FrameAbort:
		o.abort, o.end = string(p), "abort"
		return o
	case typ != FrameHead:
		return o
	}
	o.head = string(p)
	if fr.buffered() {
		for {
			typ, p, err := fr.readFrame()
			switch {
			case err != nil:
				return o
			case typ == FrameData:
				o.body += string(p)
			case typ == FrameEnd:
				o.end, o.sample = "end", fr.takeSample()
				return o
			case typ == FrameAbort:
				o.abort, o.end = string(p), "abort"
				return o
			default:
				return o
			}
		}
	}
	for {
		typ, n, err := fr.header()
		if err != nil {
			return o
		}
		switch typ {
		case FrameData:
			for left := int(n); left > 0; {
				b, err := fr.chunk(left)
				if err != nil {
					return o
				}
				o.body += string(b)
				left -= len(b)
			}
		case FrameEnd:
			o.end, o.sample = "end", fr.takeSample()
			return o
		case FrameAbort:
			p, err := fr.payload(n)
			if err != nil {
				return o
			}
			o.abort, o.end = string(p), "abort"
			return o
		default:
			return o
		}
	}
}

// decodeStream is the protocol as doc.go states it, decoded from the
// whole stream at once: a head (or an abort), data frames, and an end
// frame (empty, or a one-byte sample) or an abort; control frames are at
// most limit bytes.
func decodeStream(b []byte, limit uint32) (o streamOutcome) {
	o.end = "broken"
	off := 0
	next := func() (byte, []byte, bool) {
		if len(b)-off < FrameHeaderLen {
			return 0, nil, false
		}
		typ, n := ParseFrameHeader(b[off:])
		if uint64(len(b)-off-FrameHeaderLen) < uint64(n) || typ != FrameData && n > limit {
			return 0, nil, false
		}
		p := b[off+FrameHeaderLen : off+FrameHeaderLen+int(n)]
		off += FrameHeaderLen + int(n)
		return typ, p, true
	}
	typ, p, ok := next()
	switch {
	case !ok:
		return o
	case typ == FrameAbort:
		o.abort, o.end, o.consumed = string(p), "abort", off
		return o
	case typ != FrameHead:
		return o
	}
	o.head = string(p)
	for {
		typ, p, ok := next()
		switch {
		case !ok:
			return o
		case typ == FrameData:
			o.body += string(p)
		case typ == FrameEnd && len(p) <= 1:
			o.end, o.consumed = "end", off
			if len(p) == 1 {
				o.sample = p[0]
			}
			return o
		case typ == FrameAbort:
			o.abort, o.end, o.consumed = string(p), "abort", off
			return o
		default:
			return o
		}
	}
}

// FuzzClimbs: the X-Accel-Redirect check finds a ".." segment or a NUL
// wherever url.PathUnescape (an independent decoder) finds one, as
// written or decoded, and nowhere else.
func FuzzClimbs(f *testing.F) {
	for _, s := range []string{"/protected/x.bin", "/protected/../admin/", "/protected/%2e%2E/admin/",
		"/protected/..%2fadmin", "/a/b/..", "/a..b/.x", "/%zz/x", "/a%00b", "/%2e%2e%2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := climbs([]byte(p))
		dec, err := url.PathUnescape(p)
		if err != nil {
			return // a bad escape: climbs keeps it as written; the router refuses it
		}
		want := strings.Contains(dec, "\x00") || strings.Contains(p, "\x00") ||
			slices.Contains(strings.Split(dec, "/"), "..") || slices.Contains(strings.Split(p, "/"), "..")
		if got != want {
			t.Errorf("climbs(%q) = %v, want %v (decoded %q)", p, got, want, dec)
		}
	})
}
