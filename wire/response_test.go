package wire

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

func header(kv ...string) *Header {
	h := new(Header)
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestAppendResponseHead(t *testing.T) {
	date := []byte("Sun, 06 Nov 1994 08:49:37 GMT")
	tests := []struct {
		name string
		rh   ResponseHead
		want string
	}{
		{
			name: "minimal",
			rh:   ResponseHead{Status: 200, ContentLength: -1},
			want: "HTTP/1.1 200 OK\r\n\r\n",
		},
		{
			name: "date, length and fields in order",
			rh: ResponseHead{Status: 200, Date: date, ContentLength: 5,
				Header: header("Content-Type", "text/plain", "Set-Cookie", "a=1", "Set-Cookie", "b=2")},
			want: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n" +
				"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 5\r\n\r\n",
		},
		{
			name: "handler's Date wins",
			rh:   ResponseHead{Status: 200, Date: date, ContentLength: -1, Header: header("date", "x")},
			want: "HTTP/1.1 200 OK\r\ndate: x\r\n\r\n",
		},
		{
			name: "zero Content-Length",
			rh:   ResponseHead{Status: 200},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "chunked",
			rh:   ResponseHead{Status: 200, ContentLength: -1, Chunked: true},
			want: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		},
		{
			// RFC 9112 §6.1: never both; the zero ContentLength must
			// not sneak in next to chunked.
			name: "chunked suppresses Content-Length",
			rh:   ResponseHead{Status: 200, ContentLength: 0, Chunked: true},
			want: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		},
		{
			name: "Connection: close",
			rh:   ResponseHead{Status: 400, ContentLength: 0, Close: true},
			want: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		},
		{
			name: "Connection: keep-alive",
			rh:   ResponseHead{Status: 200, ContentLength: 0, KeepAlive: true},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
		},
		{
			name: "close wins over keep-alive",
			rh:   ResponseHead{Status: 200, ContentLength: 0, Close: true, KeepAlive: true},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		},
		{
			name: "handler's framing fields are skipped",
			rh: ResponseHead{Status: 200, ContentLength: 3, Header: header(
				"Content-Length", "999", "transfer-encoding", "gzip, chunked", "CONNECTION", "keep-alive", "X", "y")},
			want: "HTTP/1.1 200 OK\r\nX: y\r\nContent-Length: 3\r\n\r\n",
		},
		{
			name: "101 keeps the handler's Connection",
			rh: ResponseHead{Status: 101, ContentLength: -1, Header: header(
				"Upgrade", "websocket", "Connection", "Upgrade")},
			want: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		},
		{
			name: "204 has no framing fields",
			rh:   ResponseHead{Status: 204, ContentLength: 0, Chunked: true},
			want: "HTTP/1.1 204 No Content\r\n\r\n",
		},
		{
			name: "1xx has no framing fields",
			rh:   ResponseHead{Status: 103, ContentLength: 10, Header: header("Link", "</s.css>; rel=preload")},
			want: "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
		},
		{
			name: "304 may keep Content-Length",
			rh:   ResponseHead{Status: 304, ContentLength: 42},
			want: "HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n",
		},
		{
			name: "CR, LF and NUL in values become spaces",
			rh: ResponseHead{Status: 200, ContentLength: -1, Date: []byte("x\r\nSet-Cookie: evil"),
				Header: header("Location", "/a\r\n\r\n<html>", "X", "a\x00b")},
			want: "HTTP/1.1 200 OK\r\nLocation: /a    <html>\r\nX: a b\r\nDate: x  Set-Cookie: evil\r\n\r\n",
		},
		{
			name: "non-token names are dropped",
			rh: ResponseHead{Status: 200, ContentLength: -1,
				Header: header("X\r\nEvil", "1", "", "2", "Bad Name", "3", "Good", "4")},
			want: "HTTP/1.1 200 OK\r\nGood: 4\r\n\r\n",
		},
		{
			name: "unknown status code in range",
			rh:   ResponseHead{Status: 299, ContentLength: 0},
			want: "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "status code out of range is 500",
			rh:   ResponseHead{Status: 42, ContentLength: 0},
			want: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "status code 600 has no reason phrase",
			rh:   ResponseHead{Status: 600, ContentLength: 0},
			want: "HTTP/1.1 600 \r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "status code 999 has no reason phrase",
			rh:   ResponseHead{Status: 999, ContentLength: 0},
			want: "HTTP/1.1 999 \r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "status code 1000 is 500",
			rh:   ResponseHead{Status: 1000, ContentLength: 0},
			want: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendResponseHead([]byte("pre"), &tc.rh))
			if got != "pre"+tc.want {
				t.Fatalf("got  %q\nwant %q", got, "pre"+tc.want)
			}
			// Whatever a handler put in, net/http must read one
			// well-formed response out of it.
			if _, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.want)), nil); err != nil {
				t.Fatalf("net/http cannot read it: %v", err)
			}
		})
	}
}

func TestStatusText(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{{200, "OK"}, {404, "Not Found"}, {413, "Content Too Large"}, {431, "Request Header Fields Too Large"}, {299, ""}, {0, ""}}
	for _, tc := range tests {
		if got := StatusText(tc.code); got != tc.want {
			t.Errorf("StatusText(%d) = %q, want %q", tc.code, got, tc.want)
		}
	}
	// Every code net/http knows has the same reason phrase here, except
	// where RFC 9110 renamed it.
	renamed := map[int]bool{413: true, 414: true, 416: true, 422: true}
	for code := 100; code < 600; code++ {
		if std := http.StatusText(code); std != "" && !renamed[code] && StatusText(code) != "" && StatusText(code) != std {
			t.Errorf("StatusText(%d) = %q, net/http says %q", code, StatusText(code), std)
		}
	}
}

func TestBodyAllowed(t *testing.T) {
	for code, want := range map[int]bool{100: false, 101: false, 199: false, 200: true, 204: false, 206: true, 304: false, 404: true, 500: true} {
		if got := BodyAllowed(code); got != want {
			t.Errorf("BodyAllowed(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestAppendStatusLineReason(t *testing.T) {
	for _, tc := range []struct {
		code   int
		reason string
		want   string
	}{
		{299, "Custom Reason", "HTTP/1.1 299 Custom Reason\r\n"},
		{200, "Everything Fine", "HTTP/1.1 200 Everything Fine\r\n"},
		{200, "", "HTTP/1.1 200 OK\r\n"},
		{200, "tab\there é\xff", "HTTP/1.1 200 tab\there é\xff\r\n"}, // HTAB and obs-text are allowed
		{200, "split\r\nX: y", "HTTP/1.1 200 OK\r\n"},
		{200, "nul\x00", "HTTP/1.1 200 OK\r\n"},
		{700, "Seven", "HTTP/1.1 700 Seven\r\n"},
		{42, "Nope", "HTTP/1.1 500 Internal Server Error\r\n"},
	} {
		if got := string(AppendStatusLineReason(nil, tc.code, []byte(tc.reason))); got != tc.want {
			t.Errorf("AppendStatusLineReason(%d, %q) = %q, want %q", tc.code, tc.reason, got, tc.want)
		}
	}
}
