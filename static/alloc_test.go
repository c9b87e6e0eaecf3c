//go:build !race

package static_test

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/static"
)

// TestAllocsCached measures heap allocations per kept-alive request for a
// file in the memory cache, server and client together (the client
// allocates nothing), over a real loopback connection: the hot path of
// `brick DIR` allocates nothing, in every representation and answer.
func TestAllocsCached(t *testing.T) {
	s := newSite(t)
	fs, err := static.New(defaults(s))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Handler: fs}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		fs.Close()
	})
	resp, _ := do(t, ln.Addr().String(), "GET", "/style.css")
	etag := resp.Header.Get("ETag")
	tests := []struct{ name, target, fields string }{
		{"identity", "/hello.txt", ""},
		{"compressed on the fly", "/style.css", "Accept-Encoding: gzip, br\r\n"},
		{"precompressed sibling", "/app.js", "Accept-Encoding: br\r\n"},
		{"index file", "/site/", ""},
		{"not modified", "/style.css", "If-None-Match: " + etag + "\r\n"},
		{"range", "/style.css", "Range: bytes=10-99\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := newFixedClient(t, ln.Addr().String(), "GET "+tc.target+" HTTP/1.1\r\nHost: x\r\n"+tc.fields+"\r\n")
			for range 100 {
				rc.roundTrip(t)
			}
			if avg := testing.AllocsPerRun(300, func() { rc.roundTrip(t) }); avg != 0 {
				t.Errorf("%v allocations per request, want 0", avg)
			}
		})
	}
}

// fixedClient sends one request again and again on a kept-alive
// connection and reads answers of the size the first one had (the Date
// field has a fixed width).
type fixedClient struct {
	c    net.Conn
	req  []byte
	resp []byte
}

func newFixedClient(t *testing.T, addr, req string) *fixedClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &fixedClient{c: c, req: []byte(req), resp: make([]byte, 64<<10)}
	if _, err := c.Write(rc.req); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for {
		k, err := c.Read(rc.resp[n:])
		if err != nil {
			t.Fatalf("first response: %q, %v", rc.resp[:n], err)
		}
		n += k
		head, _, ok := bytes.Cut(rc.resp[:n], []byte("\r\n\r\n"))
		if !ok {
			continue
		}
		length := 0
		if _, v, ok := bytes.Cut(head, []byte("\r\nContent-Length: ")); ok {
			v, _, _ = bytes.Cut(v, []byte("\r\n"))
			length, _ = strconv.Atoi(string(v))
		}
		if n >= len(head)+4+length {
			break
		}
	}
	c.SetReadDeadline(time.Time{})
	rc.resp = rc.resp[:n]
	return rc
}

func (rc *fixedClient) roundTrip(t *testing.T) {
	if _, err := rc.c.Write(rc.req); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc.c, rc.resp); err != nil {
		t.Fatal(err)
	}
}
