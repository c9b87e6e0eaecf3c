package wire

import (
	"errors"
	"testing"
)

var responseTests = []struct {
	name    string
	raw     string
	head    bool // the request was HEAD
	err     error
	status  int
	framing BodyFraming
	length  int64
	close   bool
}{
	{name: "length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", status: 200, framing: LengthBody, length: 5},
	{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", status: 200, framing: ChunkedBody, length: -1},
	{name: "until close", raw: "HTTP/1.1 200 OK\r\n\r\n", status: 200, framing: CloseBody, length: -1, close: true},
	{name: "TE and CL: TE wins, close", raw: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 200, framing: ChunkedBody, length: -1, close: true},
	{name: "TE not chunked: until close", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", status: 200, framing: CloseBody, length: -1, close: true},
	{name: "204 ignores length", raw: "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", status: 204, framing: NoBody, length: 7},
	{name: "304", raw: "HTTP/1.1 304 Not Modified\r\n\r\n", status: 304, framing: NoBody, length: -1},
	{name: "HEAD", raw: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", head: true, status: 200, framing: NoBody, length: 99},
	{name: "101", raw: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", status: 101, framing: NoBody, length: -1},
	{name: "connection close", raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 200, framing: LengthBody, close: true},
	{name: "HTTP/1.0 closes", raw: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, framing: LengthBody, close: true},
	{name: "HTTP/1.0 keep-alive", raw: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", status: 200, framing: LengthBody},
	{name: "no reason", raw: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", status: 200, framing: LengthBody},
	{name: "bare LF", raw: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", status: 200, framing: LengthBody},
	{name: "repeated equal CL", raw: "HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\nabcd", status: 200, framing: LengthBody, length: 4},
	{name: "conflicting CL", raw: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", err: ErrBadResponseLength},
	{name: "negative CL", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: ErrBadResponseLength},
	{name: "chunked twice", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", err: ErrBadResponseCoding},
	{name: "chunked then gzip", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", err: ErrBadResponseCoding},
	{name: "TE on 1.0", raw: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", err: ErrBadResponseCoding},
	{name: "obs-fold", raw: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", err: ErrBadResponseField},
	{name: "space before colon", raw: "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", err: ErrBadResponseField},
	{name: "bare CR in value", raw: "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", err: ErrBadResponseField},
	{name: "not HTTP", raw: "SSH-2.0-OpenSSH\r\n\r\n", err: ErrBadStatusLine},
	{name: "two-digit status", raw: "HTTP/1.1 20 OK\r\n\r\n", err: ErrBadStatusLine},
	{name: "status 099", raw: "HTTP/1.1 099 X\r\n\r\n", err: ErrBadStatusLine},
	{name: "HTTP/2.0", raw: "HTTP/2.0 200 OK\r\n\r\n", err: ErrBadStatusLine},
	{name: "no space after status", raw: "HTTP/1.1 200OK\r\n\r\n", err: ErrBadStatusLine},
	{name: "partial", raw: "HTTP/1.1 200 OK\r\nContent-Le", err: ErrNeedMore},
	{name: "garbage refused early", raw: "<html>", err: ErrBadStatusLine},
}

func TestParseResponse(t *testing.T) {
	for _, tc := range responseTests {
		t.Run(tc.name, func(t *testing.T) {
			var p ReceivedResponse
			n, err := ParseResponse(&p, []byte(tc.raw), nil)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if f := p.Framing(tc.head); p.Status != tc.status || f != tc.framing || p.ContentLength != tc.length || p.Close != tc.close {
				t.Errorf("status %d framing %d length %d close %v; want %d %d %d %v", p.Status, f, p.ContentLength, p.Close, tc.status, tc.framing, tc.length, tc.close)
			}
			if body := tc.raw[n:]; tc.framing == LengthBody && int64(len(body)) != p.ContentLength {
				t.Errorf("head length %d leaves body %q", n, body)
			}
		})
	}
}

// TestParseResponseLimits: a head over the limit is refused, complete or
// not, rather than buffered without end.
func TestParseResponseLimits(t *testing.T) {
	big := "HTTP/1.1 200 OK\r\nX: " + string(make([]byte, 0)) + repeat("a", 200) + "\r\n"
	lim := &Limits{MaxHeaderBytes: 100}
	var p ReceivedResponse
	if _, err := ParseResponse(&p, []byte(big), lim); err != ErrResponseHeadTooLarge {
		t.Errorf("partial head over the limit: %v", err)
	}
	if _, err := ParseResponse(&p, []byte(big+"\r\n"), lim); err != ErrResponseHeadTooLarge {
		t.Errorf("complete head over the limit: %v", err)
	}
	many := "HTTP/1.1 200 OK\r\n" + repeat("X: y\r\n", 5) + "\r\n"
	if _, err := ParseResponse(&p, []byte(many), &Limits{MaxHeaderCount: 4}); err != ErrResponseHeadTooLarge {
		t.Errorf("too many fields: %v", err)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
