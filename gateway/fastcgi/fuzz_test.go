package fastcgi_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/brick-server/brick/gateway/fastcgi"
)

// splitReader returns at most n bytes per Read, as a socket may.
type splitReader struct {
	b []byte
	n int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n, len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

type record struct {
	h fastcgi.Header
	c string
}

// readAll reads records until an error, returning them and the error.
func readAll(r io.Reader) ([]record, error) {
	rd := fastcgi.NewReader(r)
	var out []record
	for {
		h, c, err := rd.Next()
		if err != nil {
			return out, err
		}
		if int(h.ContentLength) != len(c) {
			panic("content length differs from the header's")
		}
		out = append(out, record{h, string(c)})
	}
}

// FuzzRecordReader: however a stream is split into reads, the Reader
// returns the same records and the same error; records re-encoded read
// back the same; a PARAMS record's pairs re-encoded parse the same.
func FuzzRecordReader(f *testing.F) {
	var s []byte
	s = fastcgi.AppendBeginRequest(s, 1, fastcgi.FlagKeepConn)
	var p fastcgi.Params
	p.AddString("SCRIPT_FILENAME", "/srv/www/index.php")
	p.AddString("HTTP_LONG", string(bytes.Repeat([]byte("v"), 200)))
	s, _ = p.AppendRecords(s, 1)
	s = fastcgi.AppendStream(s, fastcgi.TypeStdin, 1, []byte("a=1&b=2"))
	s = fastcgi.AppendStream(s, fastcgi.TypeStdin, 1, nil)
	f.Add(s, uint16(1))
	f.Add(s, uint16(7))
	var out []byte
	out = fastcgi.AppendHeader(out, fastcgi.TypeStdout, 1, 5, 3)
	out = append(out, "Hello\x00\x00\x00"...)
	out = fastcgi.AppendHeader(out, fastcgi.TypeEndRequest, 1, 8, 0)
	out = append(out, 0, 0, 0, 0, 0, 0, 0, 0)
	f.Add(out, uint16(3))
	f.Add(out[:11], uint16(2))
	f.Add([]byte{2, 6, 0, 1, 0, 0, 0, 0}, uint16(8))

	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		whole, werr := readAll(bytes.NewReader(data))
		n := int(split)%64 + 1
		parts, perr := readAll(&splitReader{data, n})
		if !errors.Is(perr, werr) && perr != werr {
			t.Fatalf("split %d: error %v, whole: %v", n, perr, werr)
		}
		if len(parts) != len(whole) {
			t.Fatalf("split %d: %d records, whole: %d", n, len(parts), len(whole))
		}
		var again []byte
		for i := range whole {
			if parts[i] != whole[i] {
				t.Fatalf("record %d: split %+v, whole %+v", i, parts[i], whole[i])
			}
			r := whole[i]
			again = fastcgi.AppendHeader(again, r.h.Type, r.h.RequestID, len(r.c), 0)
			again = append(again, r.c...)
			if r.h.Type == fastcgi.TypeParams {
				checkPairs(t, []byte(r.c))
			}
		}
		re, err := readAll(bytes.NewReader(again))
		if err != io.EOF || len(re) != len(whole) {
			t.Fatalf("re-encoded: %d records, %v", len(re), err)
		}
		for i := range re {
			w := whole[i]
			w.h.PaddingLength = 0
			if re[i] != w {
				t.Fatalf("re-encoded record %d: %+v, want %+v", i, re[i], w)
			}
		}
	})
}

// checkPairs re-encodes the pairs of b and checks they parse the same.
func checkPairs(t *testing.T, b []byte) {
	var pairs [][2]string
	if err := fastcgi.ParsePairs(b, func(k, v []byte) { pairs = append(pairs, [2]string{string(k), string(v)}) }); err != nil {
		return
	}
	var enc []byte
	for _, p := range pairs {
		enc = fastcgi.AppendPair(enc, []byte(p[0]), []byte(p[1]))
	}
	i := 0
	if err := fastcgi.ParsePairs(enc, func(k, v []byte) {
		if pairs[i] != [2]string{string(k), string(v)} {
			t.Fatalf("pair %d re-encoded as %q=%q, want %q", i, k, v, pairs[i])
		}
		i++
	}); err != nil || i != len(pairs) {
		t.Fatalf("re-encoded pairs: %v, %d of %d", err, i, len(pairs))
	}
}
