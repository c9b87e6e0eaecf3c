package wsframe

import (
	"fmt"
	"testing"
	"unicode/utf8"
)

// frames parses a stream of frames (heads, then skipped payloads) fed in
// pieces of split bytes (0 means whole), as a reader would, and describes
// each head or the error that ended the stream.
func frames(p Parser, data []byte, split int) []string {
	var out []string
	var buf []byte
	fed := 0
	feed := func() bool {
		if fed == len(data) {
			return false
		}
		n := len(data) - fed
		if split > 0 {
			n = min(n, split)
		}
		buf = append(buf, data[fed:fed+n]...)
		fed += n
		return true
	}
	feed()
	var skip int64
	for {
		if skip > 0 {
			k := min(skip, int64(len(buf)))
			buf, skip = buf[k:], skip-k
			if skip > 0 {
				if !feed() {
					return out
				}
				continue
			}
		}
		h, n, err := p.ParseHeader(buf)
		if err == ErrNeedMore {
			if !feed() {
				return append(out, "need more")
			}
			continue
		}
		if err != nil {
			return append(out, err.Error())
		}
		out = append(out, fmt.Sprintf("%+v", h))
		buf, skip = buf[n:], h.Length
	}
}

// FuzzParseHeader parses a stream of frames whole and in pieces of split
// bytes: the heads and the error must not depend on the split, and every
// accepted head must serialize back to the bytes it came from.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range headTests {
		f.Add([]byte(tc.raw+"payload"), uint8(1))
	}
	f.Add([]byte("\x81\x85abcdhello\x88\x82abcd\x03\xe8"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		for _, p := range []Parser{{Server: true}, {}, {Server: true, AllowRsv: RSV1}} {
			whole := frames(p, data, 0)
			pieces := frames(p, data, int(split%16)+1)
			if fmt.Sprint(whole) != fmt.Sprint(pieces) {
				t.Fatalf("whole: %v\nsplit %d: %v", whole, split%16+1, pieces)
			}
			if h, n, err := p.ParseHeader(data); err == nil {
				if got := AppendHeader(nil, h); string(got) != string(data[:n]) {
					t.Fatalf("AppendHeader(%+v) = %q, parsed from %q", h, got, data[:n])
				}
			}
		}
	})
}

// FuzzExtensions parses a Sec-WebSocket-Extensions value; an accepted
// permessage-deflate offer's response must itself parse and be an
// acceptable offer (the client reads it with the same grammar).
func FuzzExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate", "permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_max_window_bits=10; client_no_context_takeover, x-webkit-deflate-frame",
		`permessage-deflate; client_max_window_bits="12"`, "a;;b", `a; b="c\"d"`, " , ,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		offers, err := ParseExtensions(nil, []byte(s))
		if err != nil {
			return
		}
		for _, want := range []Deflate{{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, {ClientMaxWindowBits: 9, ServerMaxWindowBits: 10}} {
			d, ok := NegotiateDeflate(offers, want)
			if !ok {
				continue
			}
			resp := d.AppendResponse(nil)
			back, err := ParseExtensions(nil, resp)
			if err != nil || len(back) != 1 {
				t.Fatalf("response %q does not parse: %v", resp, err)
			}
			if _, ok := acceptDeflate(back[0].Params, Deflate{}); !ok {
				t.Fatalf("response %q is not a valid permessage-deflate", resp)
			}
			if d.ServerMaxWindowBits < 8 || d.ServerMaxWindowBits > 15 || d.ClientMaxWindowBits < 8 || d.ClientMaxWindowBits > 15 {
				t.Fatalf("window bits out of range: %+v", d)
			}
		}
	})
}

// FuzzUTF8 validates text cut at one point against unicode/utf8.
func FuzzUTF8(f *testing.F) {
	for _, s := range utf8Tests {
		f.Add([]byte(s), uint8(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		c := int(cut) % (len(data) + 1)
		var v UTF8
		got := v.Write(data[:c]) && v.Write(data[c:]) && v.Done()
		if got != utf8.Valid(data) {
			t.Fatalf("%q cut at %d: %v, utf8.Valid says %v", data, c, got, !got)
		}
	})
}
