package wsgi

import (
	"bytes"
	"strings"
	"testing"
)

func TestRequestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		pairs []string
		flags uint32
		body  string
	}{
		{"empty", nil, 0, ""},
		{"typical", []string{"REQUEST_METHOD", "GET", "PATH_INFO", "/hello", "QUERY_STRING", ""}, 0, ""},
		{"body", []string{"REQUEST_METHOD", "POST", "CONTENT_LENGTH", "5"}, 0, "hello"},
		{"nul and latin-1 in a value", []string{"PATH_INFO", "/a\x00b\xe9"}, 0, ""},
		{"body by descriptor", []string{"CONTENT_LENGTH", "100000"}, FlagBodyFD, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e RequestEncoder
			e.AddString("stale", "entry")
			e.Reset()
			for i := 0; i < len(tc.pairs); i += 2 {
				e.Add([]byte(tc.pairs[i]), []byte(tc.pairs[i+1]))
			}
			frame := e.AppendFrame([]byte("prefix"), tc.flags, []byte(tc.body))
			frame = frame[len("prefix"):]
			typ, n := ParseFrameHeader(frame)
			if typ != FrameRequest || int(n) != len(frame)-FrameHeaderLen {
				t.Fatalf("header: type %q length %d, frame is %d bytes", typ, n, len(frame))
			}
			strs, flags, body, err := DecodeRequest(frame[FrameHeaderLen:])
			if err != nil {
				t.Fatal(err)
			}
			want := tc.flags
			if !strings.Contains(strings.Join(tc.pairs, ""), "\x00") {
				want |= FlagNoNul // the worker may split at the NULs
			}
			if flags != want || string(body) != tc.body || len(strs) != len(tc.pairs) {
				t.Fatalf("got flags %d body %q %d strings", flags, body, len(strs))
			}
			for i, s := range strs {
				if string(s) != tc.pairs[i] {
					t.Errorf("string %d = %q, want %q", i, s, tc.pairs[i])
				}
			}
		})
	}
}

func TestParseHead(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		status  int
		fields  int
		cl      int64
		wantErr error
		values  []string // the fields' values, when given
	}{
		{"status only", "204 No Content", 204, 0, -1, nil, nil},
		{"fields", "200 OK\x00Content-Type\x00text/plain\x00Set-Cookie\x00a=1\x00Set-Cookie\x00b=2", 200, 3, -1, nil, nil},
		{"content length", "200 OK\x00Content-Length\x0013", 200, 1, 13, nil, nil},
		{"empty value", "200 OK\x00X-Empty\x00", 200, 1, -1, nil, []string{""}},
		{"whitespace around values", "200 OK\x00Set-Cookie\x00 a=b \x00X-Tab\x00\ta b\t\x00X-Blank\x00 \t ", 200, 3, -1, nil, []string{"a=b", "a b", ""}},
		{"whitespace around a content length", "200 OK\x00Content-Length\x00 13\t", 200, 1, 13, nil, []string{"13"}},
		{"custom reason", "299 Fine Thanks", 299, 0, -1, nil, nil},
		{"no reason", "200", 0, 0, 0, ErrBadStatus, nil},
		{"1xx", "100 Continue", 0, 0, 0, ErrBadStatus, nil},
		{"600", "600 Nope", 0, 0, 0, ErrBadStatus, nil},
		{"letters", "2x0 OK", 0, 0, 0, ErrBadStatus, nil},
		{"CR in status", "200 OK\r\nX: y", 0, 0, 0, ErrBadStatus, nil},
		{"LF in value", "200 OK\x00X-A\x00b\nInjected: yes", 0, 0, 0, ErrBadField, nil},
		{"CR in value", "200 OK\x00X-A\x00b\rc", 0, 0, 0, ErrBadField, nil},
		{"space in name", "200 OK\x00X A\x00b", 0, 0, 0, ErrBadField, nil},
		{"empty name", "200 OK\x00\x00b", 0, 0, 0, ErrBadField, nil},
		{"name without value", "200 OK\x00X-A", 0, 0, 0, ErrBadHead, nil},
		{"bad content length", "200 OK\x00Content-Length\x00-1", 0, 0, 0, ErrBadField, nil},
		{"two content lengths", "200 OK\x00Content-Length\x001\x00Content-Length\x002", 0, 0, 0, ErrBadField, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Head
			err := ParseHead([]byte(tc.payload), &h)
			if err != tc.wantErr {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if h.Status != tc.status || h.Header.Len() != tc.fields || h.ContentLength != tc.cl {
				t.Fatalf("got status %d, %d fields, length %d", h.Status, h.Header.Len(), h.ContentLength)
			}
			for i, want := range tc.values {
				if got := string(h.Header.Fields()[i].Value); got != want {
					t.Errorf("field %d value %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestWorkerSourceMatchesCodec keeps the frame letters of worker.py and
// codec.go the same.
func TestWorkerSourceMatchesCodec(t *testing.T) {
	src := WorkerSource()
	for _, typ := range []byte{FrameHead, FrameData, FrameAbort, FrameFatal, FrameReady} {
		if !bytes.Contains(src, []byte(`ord("`+string(typ)+`")`)) {
			t.Errorf("worker.py never sends a %q frame", typ)
		}
	}
	for _, lit := range []string{"0x51", "0x43", `"<BI"`} { // 'Q', 'C', the header layout
		if !bytes.Contains(src, []byte(lit)) {
			t.Errorf("worker.py does not mention %s", lit)
		}
	}
}
