package wsframe

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// headTests are raw frame heads with what a server-side parser makes of
// them.
var headTests = []struct {
	name string
	raw  string
	want Header
	n    int
	err  error
}{
	{"masked text", "\x81\x85abcd", Header{Fin: true, Op: OpText, Masked: true, Mask: [4]byte{'a', 'b', 'c', 'd'}, Length: 5}, 6, nil},
	{"16-bit length", "\x02\xfe\x01\x00abcd", Header{Op: OpBinary, Masked: true, Mask: [4]byte{'a', 'b', 'c', 'd'}, Length: 256}, 8, nil},
	{"64-bit length", "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00abcd", Header{Fin: true, Op: OpBinary, Masked: true, Mask: [4]byte{'a', 'b', 'c', 'd'}, Length: 65536}, 14, nil},
	{"continuation", "\x80\x80abcd", Header{Fin: true, Op: OpContinuation, Masked: true, Mask: [4]byte{'a', 'b', 'c', 'd'}}, 6, nil},
	{"close of 125", "\x88\xfdabcd", Header{Fin: true, Op: OpClose, Masked: true, Mask: [4]byte{'a', 'b', 'c', 'd'}, Length: 125}, 6, nil},
	{"unmasked", "\x81\x05", Header{}, 0, ErrUnmasked},
	{"RSV1 not negotiated", "\xc1\x80abcd", Header{}, 0, ErrReservedBits},
	{"RSV3", "\x91\x80abcd", Header{}, 0, ErrReservedBits},
	{"opcode 3", "\x83\x80abcd", Header{}, 0, ErrReservedOpcode},
	{"opcode 15", "\x8f\x80abcd", Header{}, 0, ErrReservedOpcode},
	{"fragmented ping", "\x09\x80abcd", Header{}, 0, ErrFragmentedControl},
	{"ping of 126", "\x89\xfe\x00\x7eabcd", Header{}, 0, ErrControlTooLong},
	{"16-bit form for 125", "\x82\xfe\x00\x7dabcd", Header{}, 0, ErrNonMinimalLength},
	{"64-bit form for 65535", "\x82\xff\x00\x00\x00\x00\x00\x00\xff\xffabcd", Header{}, 0, ErrNonMinimalLength},
	{"64-bit top bit", "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00abcd", Header{}, 0, ErrLengthTooLarge},
}

// TestParseHeader parses each head whole, then every prefix (which must
// ask for more), so a head split across reads parses the same.
func TestParseHeader(t *testing.T) {
	p := Parser{Server: true}
	for _, tc := range headTests {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw + "payload")
			h, n, err := p.ParseHeader(raw)
			if err != tc.err || err == nil && (h != tc.want || n != tc.n) {
				t.Fatalf("got %+v %d %v, want %+v %d %v", h, n, err, tc.want, tc.n, tc.err)
			}
			for i := range len(tc.raw) {
				if _, _, err := p.ParseHeader(raw[:i]); err != ErrNeedMore && !(tc.err != nil && err == tc.err) {
					t.Fatalf("prefix of %d bytes: %v, want ErrNeedMore", i, err)
				}
			}
			if err == nil {
				if got := AppendHeader(nil, h); string(got) != tc.raw {
					t.Errorf("AppendHeader = %q, want %q", got, tc.raw)
				}
			}
		})
	}
}

// TestClientSide: a client's parser refuses masked frames and takes
// unmasked ones; RSV1 passes once deflate was agreed.
func TestClientSide(t *testing.T) {
	var p Parser
	if _, _, err := p.ParseHeader([]byte("\x81\x80abcd")); err != ErrMasked {
		t.Errorf("masked frame to a client: %v", err)
	}
	p.AllowRsv = RSV1
	if h, n, err := p.ParseHeader([]byte("\xc1\x03")); err != nil || n != 2 || h.Rsv != RSV1 {
		t.Errorf("compressed frame: %+v %d %v", h, n, err)
	}
	if _, _, err := p.ParseHeader([]byte("\xc9\x00")); err != ErrReservedBits {
		t.Errorf("compressed ping: %v", err)
	}
}

// TestMaskSplit masks a payload in random pieces and whole: same bytes,
// and the same as masking byte by byte.
func TestMaskSplit(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		p := make([]byte, r.IntN(100))
		for i := range p {
			p[i] = byte(r.IntN(256))
		}
		want := append([]byte(nil), p...)
		for i := range want {
			want[i] ^= key[i%4]
		}
		whole := append([]byte(nil), p...)
		Mask(key, 0, whole)
		split := append([]byte(nil), p...)
		pos := 0
		for i := 0; i < len(split); {
			j := min(len(split), i+1+r.IntN(12))
			pos = Mask(key, pos, split[i:j])
			i = j
		}
		if !bytes.Equal(whole, want) || !bytes.Equal(split, want) {
			t.Fatalf("mask of %d bytes differs", len(p))
		}
	}
}

// TestClose covers close payloads (RFC 6455 §5.5.1, §7.4).
func TestClose(t *testing.T) {
	tests := []struct {
		payload string
		code    int
		reason  string
		err     error
	}{
		{"", CloseNoStatus, "", nil},
		{"\x03\xe8", 1000, "", nil},
		{"\x03\xe9bye", 1001, "bye", nil},
		{"\x0f\xa0", 4000, "", nil},
		{"\x0b\xb8", 3000, "", nil},
		{"\x03\xf3", 1011, "", nil},
		{"\x03", 0, "", ErrBadClosePayload},
		{"\x03\xe7", 0, "", ErrBadCloseCode},
		{"\x03\xec", 0, "", ErrBadCloseCode}, // 1004
		{"\x03\xed", 0, "", ErrBadCloseCode}, // 1005
		{"\x03\xee", 0, "", ErrBadCloseCode}, // 1006
		{"\x03\xf7", 0, "", ErrBadCloseCode}, // 1015
		{"\x0b\xb7", 0, "", ErrBadCloseCode}, // 2999
		{"\x13\x88", 0, "", ErrBadCloseCode}, // 5000
		{"\x03\xe8\xc3", 0, "", ErrInvalidUTF8},
	}
	for _, tc := range tests {
		code, reason, err := ParseClose([]byte(tc.payload))
		if err != tc.err || code != tc.code || string(reason) != tc.reason {
			t.Errorf("ParseClose(%q) = %d %q %v, want %d %q %v", tc.payload, code, reason, err, tc.code, tc.reason, tc.err)
		}
	}
	long := AppendClose(nil, 1000, string(bytes.Repeat([]byte("é"), 100)))
	if len(long) > MaxControlPayload {
		t.Errorf("AppendClose made %d bytes", len(long))
	}
	if _, _, err := ParseClose(long); err != nil {
		t.Errorf("a cut reason: %v", err)
	}
	var we *Error
	if !errors.As(error(ErrTooBig), &we) || we.Code != CloseTooBig {
		t.Error("ErrTooBig does not carry 1009")
	}
}
