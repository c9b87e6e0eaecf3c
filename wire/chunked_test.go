package wire

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// decoded is everything a ChunkedDecoder run decides about one input.
type decoded struct {
	Body     string
	Consumed int // bytes of the input the decoder consumed in all
	Err      error
}

// decodeSplit runs a ChunkedDecoder the way a server does: the input
// arrives in reads of the given step sizes (the last one repeated); the
// caller keeps the bytes Decode did not consume, appends each new read to
// them and calls Decode until it returns an error. Each buffer is a fresh
// copy, so a decoder holding on to an old one would be caught.
func decodeSplit(in []byte, limit int64, steps []int) decoded {
	d := ChunkedDecoder{Limit: limit}
	var out decoded
	var body []byte
	var pending []byte
	next := 0 // next byte of in to deliver
	for i := 0; ; {
		n, data, err := d.Decode(pending)
		body = append(body, data...)
		out.Consumed += n
		pending = slices.Clip(slices.Clone(pending[n:]))
		switch {
		case err == nil:
			continue
		case err == ErrNeedMore && next < len(in):
			step := steps[min(i, len(steps)-1)]
			i++
			end := min(len(in), next+step)
			pending = slices.Clip(append(pending, in[next:end]...))
			next = end
			continue
		}
		out.Body, out.Err = string(body), err
		return out
	}
}

type chunkedTest struct {
	name  string
	in    string
	limit int64
	// want is the decoded body; wantErr the final error, io.EOF for a
	// well-formed body; wantLen how much the decoder consumes, -1 for all.
	want    string
	wantErr error
	wantLen int
}

var chunkedTests = []chunkedTest{
	{name: "two chunks", in: "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", want: "Wikipedia", wantErr: io.EOF, wantLen: -1},
	{name: "empty body", in: "0\r\n\r\n", wantErr: io.EOF, wantLen: -1},
	{name: "hex digits in both cases", in: "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", want: "0123456789abcdefghij", wantErr: io.EOF, wantLen: -1},
	{name: "leading zeros", in: "0005\r\nhello\r\n000\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "sixteen digits", in: "0000000000000005\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "data holding CRLFs", in: "6\r\n\r\n\r\n\r\n\r\n0\r\n\r\n", want: "\r\n\r\n\r\n", wantErr: io.EOF, wantLen: -1},
	{name: "bytes after the body are left", in: "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", want: "x", wantErr: io.EOF, wantLen: len("1\r\nx\r\n0\r\n\r\n")},
	{name: "incomplete", in: "5\r\nhel", want: "hel", wantErr: ErrNeedMore, wantLen: -1},
	{name: "incomplete before the last CRLF", in: "0\r\n\r", wantErr: ErrNeedMore, wantLen: 3},

	// Chunk extensions (RFC 9112 §7.1.1).
	{name: "extension with token value", in: "5;name=value\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "extension without value", in: "5;flag\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "extension with quoted-string", in: "5;n=\"v a;l=u\te\"\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "quoted-string with quoted-pair", in: "5;n=\"a\\\"b\\\\\"\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "several extensions", in: "5;a=1;b;c=\"x\"\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	{name: "BWS around extension parts", in: "5 ; a = 1 ;\tb\r\nhello\r\n0\r\n\r\n", want: "hello", wantErr: io.EOF, wantLen: -1},
	// BWS only before ';' (RFC 9112 §7.1.1): whitespace that no extension
	// follows is refused, wherever it is.
	{name: "whitespace after the size", in: "5 \r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "tab after the size", in: "5\t\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "whitespace after the last chunk's size", in: "0 \r\n\r\n", wantErr: ErrBadChunk},
	{name: "whitespace after an extension value", in: "5;a=1 \r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "whitespace after an extension name", in: "5;a\t\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "whitespace after a quoted-string", in: "5;a=\"b\" \r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "whitespace after the size on a later chunk", in: "1\r\nx\r\n0 \r\n\r\n", want: "x", wantErr: ErrBadChunk, wantLen: 6},
	{name: "extension on the last chunk", in: "0;done=\"yes\"\r\n\r\n", wantErr: io.EOF, wantLen: -1},
	{name: "empty extension", in: "5;\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "extension without name", in: "5;=x\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "extension with empty value", in: "5;a=\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "unterminated quoted-string", in: "5;a=\"x\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "quoted-pair at the end", in: "5;a=\"x\\\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "space inside a value", in: "5;a=b c\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "control byte in quoted-string", in: "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "extension without semicolon", in: "5 a\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},

	// Chunk sizes.
	{name: "empty size", in: "\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "space before the size", in: " 5\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "sign", in: "+5\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "negative", in: "-5\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "0x prefix", in: "0x5\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "non-hex letter", in: "5g\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "space between digits", in: "1 0\r\n0123456789abcdef\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "oversized chunk size", in: "ffffffffffffffffff\r\nx\r\n0\r\n\r\n", wantErr: ErrChunkTooLarge},
	{name: "seventeen digits with leading zeros", in: "00000000000000005\r\nhello\r\n0\r\n\r\n", wantErr: ErrChunkTooLarge},
	{name: "size overflows int64", in: "8000000000000000\r\nx\r\n", wantErr: ErrChunkTooLarge},
	{name: "largest size", in: "7fffffffffffffff\r\nx", want: "x", wantErr: ErrNeedMore, wantLen: -1},
	{name: "Limit", in: "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", limit: 9, want: "Wikipedia", wantErr: io.EOF, wantLen: -1},
	{name: "over Limit", in: "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", limit: 8, want: "Wiki", wantErr: ErrBodyTooLarge, wantLen: 9},
	{name: "largest size over Limit", in: "4\r\nWiki\r\n7fffffffffffffff\r\n", limit: 100, want: "Wiki", wantErr: ErrBodyTooLarge, wantLen: 9},

	// Line endings: strictly CRLF inside chunked framing.
	{name: "bare LF after the size", in: "5\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "bare LF after the data", in: "5\r\nhello\n0\r\n\r\n", want: "hello", wantErr: ErrBadChunk, wantLen: 8},
	{name: "bare CR after the data", in: "5\r\nhello\r0\r\n\r\n", want: "hello", wantErr: ErrBadChunk, wantLen: 8},
	{name: "data longer than its size", in: "3\r\nhello\r\n0\r\n\r\n", want: "hel", wantErr: ErrBadChunk, wantLen: 6},
	{name: "bare CR in the size line", in: "5\r;a=b\r\nhello\r\n0\r\n\r\n", wantErr: ErrBadChunk},
	{name: "bare LF after the last chunk", in: "0\n\r\n", wantErr: ErrBadChunk},
	{name: "bare LF ending the body", in: "0\r\n\n", wantErr: ErrBadChunk, wantLen: 3},
	{name: "bare LF ending a trailer", in: "0\r\nA: b\n\r\n", wantErr: ErrBadChunk, wantLen: 3},

	// Trailer section (RFC 9112 §7.1.2).
	{name: "trailer fields", in: "1\r\nx\r\n0\r\nExpires: never\r\nX-Sum:\t1 \r\n\r\n", want: "x", wantErr: io.EOF, wantLen: -1},
	{name: "trailer with obs-fold", in: "0\r\nA: b\r\n c\r\n\r\n", wantErr: ErrObsFold, wantLen: 9},
	{name: "trailer starting with space", in: "0\r\n A: b\r\n\r\n", wantErr: ErrObsFold, wantLen: 3},
	{name: "trailer without colon", in: "0\r\nA b\r\n\r\n", wantErr: ErrBadHeaderName, wantLen: 3},
	{name: "trailer with space before colon", in: "0\r\nA : b\r\n\r\n", wantErr: ErrSpaceBeforeColon, wantLen: 3},
	{name: "trailer with bare CR", in: "0\r\nA: b\rc\r\n\r\n", wantErr: ErrBareCR, wantLen: 3},
	{name: "trailer with NUL", in: "0\r\nA: b\x00\r\n\r\n", wantErr: ErrBadHeaderValue, wantLen: 3},
	{
		name:    "trailer section at the limit",
		in:      "0\r\n" + trailerOf(DefaultMaxTrailerBytes-2) + "\r\n",
		wantErr: io.EOF, wantLen: -1,
	},
	{
		name:    "trailer section one byte over",
		in:      "0\r\n" + trailerOf(DefaultMaxTrailerBytes-1) + "\r\n",
		wantErr: ErrTrailerTooLarge, wantLen: 3 + DefaultMaxTrailerBytes - 1,
	},
	{
		name:    "endless trailer line",
		in:      "0\r\nA: " + strings.Repeat("b", DefaultMaxTrailerBytes),
		wantErr: ErrTrailerTooLarge, wantLen: 3,
	},

	// Limits on framing bytes.
	{
		name:    "size line at the limit",
		in:      "1;a=" + strings.Repeat("b", maxChunkLine-len("1;a=\r\n")) + "\r\nx\r\n0\r\n\r\n",
		want:    "x",
		wantErr: io.EOF, wantLen: -1,
	},
	{
		name:    "size line over the limit",
		in:      "1;a=" + strings.Repeat("b", maxChunkLine-len("1;a=\r\n")+1) + "\r\nx\r\n0\r\n\r\n",
		wantErr: ErrBadChunk,
	},
	{
		name:    "endless size line",
		in:      "1;a=" + strings.Repeat("b", 2*maxChunkLine),
		wantErr: ErrBadChunk,
	},
	{
		name:    "tiny chunks with long extensions",
		in:      strings.Repeat("1;a="+strings.Repeat("b", 4000)+"\r\nx\r\n", 10) + "0\r\n\r\n",
		want:    "xxxx",
		wantErr: ErrChunkOverhead, wantLen: 4 * (4006 + 3),
	},
	{
		name:    "many one-byte chunks are fine",
		in:      strings.Repeat("1\r\nx\r\n", 5000) + "0\r\n\r\n",
		want:    strings.Repeat("x", 5000),
		wantErr: io.EOF, wantLen: -1,
	},
}

// trailerOf returns a trailer field line of exactly n bytes, CRLF included.
func trailerOf(n int) string {
	return "X: " + strings.Repeat("v", n-len("X: \r\n")) + "\r\n"
}

func TestChunkedDecoder(t *testing.T) {
	for i, tc := range chunkedTests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			want := decoded{Body: tc.want, Consumed: tc.wantLen, Err: tc.wantErr}
			if want.Consumed < 0 {
				want.Consumed = len(in)
			}
			whole := decodeSplit(in, tc.limit, []int{len(in) + 1})
			if !reflect.DeepEqual(whole, want) {
				t.Fatalf("got  %s\nwant %s", fmtDecoded(whole), fmtDecoded(want))
			}
			check := func(how string, got decoded) {
				t.Helper()
				if !reflect.DeepEqual(got, whole) {
					t.Fatalf("%s: got %s\nwhole input gave %s", how, fmtDecoded(got), fmtDecoded(whole))
				}
			}
			check("byte by byte", decodeSplit(in, tc.limit, []int{1}))
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for range 20 {
				steps := make([]int, 1+rng.IntN(8))
				for j := range steps {
					steps[j] = 1 + rng.IntN(max(1, len(in)/2))
				}
				check(fmt.Sprintf("random split %v", steps), decodeSplit(in, tc.limit, steps))
			}
		})
	}
}

func fmtDecoded(d decoded) string {
	body := d.Body
	if len(body) > 40 {
		body = body[:40] + "..."
	}
	return fmt.Sprintf("{Body:%q (%d bytes) Consumed:%d Err:%v}", body, len(d.Body), d.Consumed, d.Err)
}

// TestChunkedEarlyReject checks that a size line that can no longer be
// valid is refused before its line ends, so garbage is not read up to the
// line limit.
func TestChunkedEarlyReject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"not a hex digit", "G", ErrBadChunk},
		{"CR first", "\r", ErrBadChunk},
		{"letter after the digits", "5x", ErrBadChunk},
		{"bare CR after the digits", "5\rx", ErrBadChunk},
		{"waits: digits so far", "5", ErrNeedMore},
		{"waits: CR may start CRLF", "5\r", ErrNeedMore},
		{"waits: extension so far", "5;a", ErrNeedMore},
		{"waits: too many digits may still be 413", "00000000000000000x", ErrNeedMore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d ChunkedDecoder
			n, data, err := d.Decode([]byte(tc.in))
			if err != tc.wantErr || n != 0 || len(data) != 0 {
				t.Fatalf("Decode = %d, %q, %v; want 0, \"\", %v", n, data, err, tc.wantErr)
			}
		})
	}
}

// TestChunkedDone checks the decoder's state after the body ended: Done is
// true and further calls consume nothing.
func TestChunkedDone(t *testing.T) {
	var d ChunkedDecoder
	in := []byte("1\r\nx\r\n0\r\n\r\nextra")
	var body []byte
	for {
		n, data, err := d.Decode(in)
		body = append(body, data...)
		in = in[n:]
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if d.Done() {
			t.Fatal("Done before io.EOF")
		}
	}
	if !d.Done() || string(body) != "x" || string(in) != "extra" {
		t.Fatalf("Done=%v body=%q rest=%q", d.Done(), body, in)
	}
	if n, data, err := d.Decode(in); n != 0 || data != nil || err != io.EOF {
		t.Fatalf("after the end: Decode = %d, %q, %v", n, data, err)
	}
}

func TestAppendChunk(t *testing.T) {
	tests := []struct {
		name string
		p    string
		want string
	}{
		{"empty chunk writes nothing", "", "pre"},
		{"one byte", "x", "pre1\r\nx\r\n"},
		{"hex size", strings.Repeat("a", 26), "pre1a\r\n" + strings.Repeat("a", 26) + "\r\n"},
		{"data with CRLF", "\r\n", "pre2\r\n\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendChunk([]byte("pre"), []byte(tc.p))); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppendChunkHeader(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0\r\n"}, {1, "1\r\n"}, {15, "f\r\n"}, {16, "10\r\n"}, {4096, "1000\r\n"},
		{1<<63 - 1, "7fffffffffffffff\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.want[:len(tc.want)-2], func(t *testing.T) {
			if got := string(AppendChunkHeader(nil, tc.n)); got != tc.want {
				t.Fatalf("AppendChunkHeader(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
	t.Run("negative panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		AppendChunkHeader(nil, -1)
	})
}

// TestChunkedRoundTrip checks that what AppendChunk and LastChunk write,
// the decoder reads back.
func TestChunkedRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var enc, want []byte
	for range 50 {
		p := make([]byte, rng.IntN(300))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		enc = AppendChunk(enc, p)
		want = append(want, p...)
	}
	enc = append(enc, LastChunk...)
	got := decodeSplit(enc, 0, []int{7, 1, 100})
	if got.Err != io.EOF || got.Consumed != len(enc) || !bytes.Equal([]byte(got.Body), want) {
		t.Fatalf("round trip: err=%v consumed=%d/%d body equal=%v", got.Err, got.Consumed, len(enc), bytes.Equal([]byte(got.Body), want))
	}
}
