package fastcgi_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/brick-server/brick/gateway/fastcgi"
)

// TestPairs: pairs round-trip through AppendPair and ParsePairs, with one-
// and four-byte lengths, and malformed ones are refused.
func TestPairs(t *testing.T) {
	long := strings.Repeat("v", 300)
	pairs := [][2]string{{"A", ""}, {"SCRIPT_NAME", "/x.php"}, {"HTTP_LONG", long}, {strings.Repeat("K", 128), "x"}, {"", ""}}
	var b []byte
	for _, p := range pairs {
		n := len(b)
		b = fastcgi.AppendPair(b, []byte(p[0]), []byte(p[1]))
		if got := len(b) - n; got != fastcgi.PairLen(len(p[0]), len(p[1])) {
			t.Errorf("PairLen(%d, %d) = %d, encoded %d", len(p[0]), len(p[1]), fastcgi.PairLen(len(p[0]), len(p[1])), got)
		}
	}
	var got [][2]string
	if err := fastcgi.ParsePairs(b, func(k, v []byte) { got = append(got, [2]string{string(k), string(v)}) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pairs) {
		t.Fatalf("got %d pairs, want %d", len(got), len(pairs))
	}
	for i := range pairs {
		if got[i] != pairs[i] {
			t.Errorf("pair %d: %q, want %q", i, got[i], pairs[i])
		}
	}
	for _, bad := range []string{"\x05", "\x01\x01a", "\x80\x00\x00", "\x80\x00\x00\x05\x00abcd", "\x01\xff\xff\xff\xffa"} {
		if err := fastcgi.ParsePairs([]byte(bad), func(k, v []byte) {}); !errors.Is(err, fastcgi.ErrPair) {
			t.Errorf("ParsePairs(%q) = %v, want ErrPair", bad, err)
		}
	}
}

// TestParamsRecords: PARAMS records hold whole pairs only (PHP-FPM parses
// each record on its own), the stream ends with an empty record, and a
// pair too long for one record is refused.
func TestParamsRecords(t *testing.T) {
	var p fastcgi.Params
	big := strings.Repeat("x", 40_000)
	for _, k := range []string{"ONE", "TWO", "THREE"} {
		p.AddString(k, big)
	}
	out, err := p.AppendRecords(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	rd := fastcgi.NewReader(bytes.NewReader(out))
	var names []string
	for {
		h, c, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Type != fastcgi.TypeParams || h.RequestID != 1 {
			t.Fatalf("record %+v", h)
		}
		if len(c) == 0 {
			names = append(names, "end")
			continue
		}
		if err := fastcgi.ParsePairs(c, func(k, v []byte) { names = append(names, string(k)) }); err != nil {
			t.Fatalf("a record does not hold whole pairs: %v", err)
		}
	}
	if got := strings.Join(names, ","); got != "ONE,TWO,THREE,end" {
		t.Errorf("records hold %s", got)
	}

	p.Reset()
	p.AddString("HUGE", strings.Repeat("y", 70_000))
	if _, err := p.AppendRecords(nil, 1); !errors.Is(err, fastcgi.ErrPairTooLong) {
		t.Errorf("a 70 kB pair: %v, want ErrPairTooLong", err)
	}
}

// TestReader: records with padding, split across reads of one byte; the
// stream's end between records is io.EOF, inside one ErrTruncated; a
// wrong version or END_REQUEST length is refused.
func TestReader(t *testing.T) {
	var stream []byte
	stream = fastcgi.AppendHeader(stream, fastcgi.TypeStdout, 1, 5, 3)
	stream = append(stream, "hello\x00\x00\x00"...)
	stream = fastcgi.AppendStream(stream, fastcgi.TypeStderr, 1, bytes.Repeat([]byte("e"), 70_000))
	stream = fastcgi.AppendHeader(stream, fastcgi.TypeEndRequest, 1, 8, 0)
	stream = append(stream, 0, 0, 0, 7, fastcgi.StatusRequestComplete, 0, 0, 0)

	rd := fastcgi.NewReader(iotest.OneByteReader(bytes.NewReader(stream)))
	var got []string
	for {
		h, c, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Type {
		case fastcgi.TypeEndRequest:
			end, err := fastcgi.ParseEndRequest(c)
			if err != nil || end.AppStatus != 7 {
				t.Errorf("END_REQUEST %+v, %v", end, err)
			}
			got = append(got, "end")
		default:
			got = append(got, string(rune('0'+h.Type))+":"+string(c[:min(len(c), 5)])+":"+string(rune('0'+len(c)%10)))
		}
	}
	if s := strings.Join(got, " "); s != "6:hello:5 7:eeeee:5 7:eeeee:5 end" {
		t.Errorf("records %s", s)
	}

	for _, tc := range []struct {
		name   string
		stream []byte
		want   error
	}{
		{"empty", nil, io.EOF},
		{"inside a header", stream[:5], fastcgi.ErrTruncated},
		{"inside the content", stream[:10], fastcgi.ErrTruncated},
		{"inside the padding", stream[:15], fastcgi.ErrTruncated},
		{"version 2", append([]byte{2}, stream[1:]...), fastcgi.ErrVersion},
		{"short END_REQUEST", fastcgi.AppendHeader(nil, fastcgi.TypeEndRequest, 1, 0, 0), fastcgi.ErrEndRequest},
	} {
		_, _, err := fastcgi.NewReader(bytes.NewReader(tc.stream)).Next()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
