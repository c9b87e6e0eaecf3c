package asgi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/brick-server/brick/wire"
)

// frameBytes builds a frame for seeds.
func frameBytes(typ byte, stream uint32, payload string) []byte {
	return append(AppendFrameHeader(nil, typ, stream, len(payload)), payload...)
}

// decodeAll reads every frame of a worker's byte stream as the worker's
// reader does, and describes what it found, up to the first error.
func decodeAll(r io.Reader) (string, error) {
	fr := newFrameReader(r)
	var b strings.Builder
	var head Head
	for {
		typ, stream, n, err := fr.next()
		if err != nil {
			return b.String(), err
		}
		switch {
		case typ == FrameData && n > Window,
			typ == FrameCredit && n != 4,
			(typ == FrameEnd || typ == FramePong) && n != 0,
			n > maxControlFrame:
			return "", fmt.Errorf("next accepted a %d-byte %q frame", n, typ)
		}
		var p []byte
		if typ == FrameData {
			p, err = fr.into(nil, n)
		} else {
			p, err = fr.payload(n)
		}
		if err != nil {
			return b.String(), err
		}
		fmt.Fprintf(&b, "%c/%d/%q;", typ, stream, p)
		if typ == FrameHead {
			if err := ParseHead(p, &head); err == nil {
				fmt.Fprintf(&b, "head %d %d;", head.Status, head.Header.Len())
			}
		}
	}
}

// FuzzFrameReader holds the Go side's decoder of what a worker sends to
// its rules (no frame past its bound is accepted), and to one answer
// whatever the reads the bytes arrive in.
func FuzzFrameReader(f *testing.F) {
	f.Add(frameBytes(FrameReady, 0, "pid=1"))
	f.Add(append(append(frameBytes(FrameHead, 1, "200\x00content-type\x00text/plain"), frameBytes(FrameData, 1, "hello")...), frameBytes(FrameEnd, 1, "")...))
	f.Add(frameBytes(FrameAbort, 7, "Traceback..."))
	f.Add(frameBytes(FrameCredit, 3, "\x00\x00\x01\x00"))
	f.Add(frameBytes(FramePong, 0, ""))
	f.Add(frameBytes(FrameEnd, 1, "x"))
	f.Add(AppendFrameHeader(nil, FrameData, 1, Window+1))
	f.Add(AppendFrameHeader(nil, FrameHead, 1, maxControlFrame+1))
	f.Add(frameBytes('?', 1, ""))
	f.Add(append(frameBytes(FrameWSAccept, 1, "chat\x00x-a\x00b"), frameBytes(FrameWSSend, 1, "\x01hello")...))
	f.Add(frameBytes(FrameWSClose, 1, "\x0f\xa1bye"))
	f.Add(frameBytes(FrameWSClose, 1, "\x03"))
	f.Add(frameBytes(FrameWSSend, 1, ""))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, errWhole := decodeAll(bytes.NewReader(data))
		if errWhole != nil && strings.HasPrefix(errWhole.Error(), "next accepted") {
			t.Fatal(errWhole)
		}
		bytewise, errBytes := decodeAll(iotest.OneByteReader(bytes.NewReader(data)))
		if whole != bytewise || (errWhole == nil) != (errBytes == nil) {
			t.Fatalf("whole: %q, %v\nbyte by byte: %q, %v", whole, errWhole, bytewise, errBytes)
		}
		if errWhole != nil && !errors.Is(errWhole, errFrame) && !errors.Is(errWhole, io.EOF) && !errors.Is(errWhole, io.ErrUnexpectedEOF) {
			t.Fatalf("unexpected error %v", errWhole)
		}
	})
}

// FuzzAccept holds the websocket.accept payload's parser to giving back
// exactly what the worker encoded: the subprotocol, then pairs, none
// holding a NUL.
func FuzzAccept(f *testing.F) {
	f.Add([]byte("chat\x00set-cookie\x00a=b"))
	f.Add([]byte(""))
	f.Add([]byte("\x00x"))
	f.Add([]byte("p\x00a\x00b\x00c\x00d"))
	f.Fuzz(func(t *testing.T, p []byte) {
		a, ok := parseAccept(p)
		if !ok {
			if bytes.Count(p, []byte{0})%2 == 0 {
				t.Fatalf("refused %q, which has pairs", p)
			}
			return
		}
		parts := []string{a.Subprotocol}
		for _, fl := range a.Header {
			parts = append(parts, string(fl.Name), string(fl.Value))
		}
		if got := strings.Join(parts, "\x00"); got != string(p) {
			t.Fatalf("parsed %q back to %q", p, got)
		}
	})
}

// FuzzHead holds ParseHead to never passing on what would split the
// response head, and to dropping the fields that belong to the
// connection.
func FuzzHead(f *testing.F) {
	f.Add([]byte("200"))
	f.Add([]byte("200\x00content-type\x00text/plain\x00x-a\x00 b "))
	f.Add([]byte("404\x00content-length\x005\x00content-length\x005"))
	f.Add([]byte("200\x00transfer-encoding\x00chunked\x00connection\x00close"))
	f.Add([]byte("200\x00x\x00a\r\nInjected: 1"))
	f.Add([]byte("099"))
	f.Add([]byte("101"))
	f.Fuzz(func(t *testing.T, p []byte) {
		var h Head
		if ParseHead(p, &h) != nil {
			return
		}
		if h.Status < 200 || h.Status > 599 {
			t.Fatalf("status %d", h.Status)
		}
		for _, fl := range h.Header.Fields() {
			if !wire.IsToken(fl.Name) || !wire.IsFieldValue(fl.Value) || hopByHop(fl.Name) {
				t.Fatalf("field %q: %q passed", fl.Name, fl.Value)
			}
		}
	})
}

// FuzzStart holds the start frame's encoder and decoder (worker.py's
// build_scope in Go) to each other.
func FuzzStart(f *testing.F) {
	f.Add("1.1", "GET", "/a b", "/a%20b", "q=1", "Host", "h", []byte("body"), uint32(1))
	f.Add("", "", "", "", "", "", "", []byte(nil), uint32(0))
	f.Fuzz(func(t *testing.T, ver, method, path, raw, query, name, value string, body []byte, flags uint32) {
		var e StartEncoder
		in := []string{ver, method, "http", path, raw, query, "", "127.0.0.1", "1", "", "", strings.ToLower(name), value}
		for i, s := range in {
			if i == 11 {
				e.AddLower([]byte(name))
			} else {
				e.AddString(s)
			}
		}
		frame := e.AppendFrame(nil, 5, KindHTTP, flags, body)
		typ, stream, n := ParseFrameHeader(frame)
		if typ != FrameStart || stream != 5 || int(n) != len(frame)-FrameHeaderLen {
			t.Fatalf("header %q %d %d", typ, stream, n)
		}
		kind, gotFlags, strs, gotBody, err := DecodeStart(frame[FrameHeaderLen:])
		if err != nil || kind != KindHTTP || gotFlags != flags || !bytes.Equal(gotBody, body) || len(strs) != len(in) {
			t.Fatalf("decoded %d %d %d strings %q, %v", kind, gotFlags, len(strs), gotBody, err)
		}
		for i, s := range strs {
			if want := in[i]; i != 11 && string(s) != want || i == 11 && !strings.EqualFold(string(s), name) {
				t.Fatalf("string %d = %q; want %q", i, s, want)
			}
		}
	})
}
