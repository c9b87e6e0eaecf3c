package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// headReport is what an Observer was told of a request, with the
// connection's side of it.
type headReport struct {
	method, target, proto string
	site, route           string
	remote, tls           bool
	c                     web.Completion
}

// TestObserverBadHead: a request whose head the server answered itself (a
// head it could not parse, or one that stopped coming) is reported once,
// with the canned status and body length it sent and an empty request
// line; a connection that sent no byte of a request, or none of a next
// one, is not reported; and a good request on another connection after a
// bad one is reported as usual. In both connection models, plain and TLS.
func TestObserverBadHead(t *testing.T) {
	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2048) + "\r\n\r\n"
	tests := []struct {
		name string
		raw  string // sent at once; then the client waits
		good bool   // a complete request: its 200 is read first
		// status is the report expected, 0 for none; answer the status
		// the client reads (when it differs from the report's 200).
		status int
		close  bool // the client closes its side after sending raw
	}{
		{name: "bad request line", raw: "GET\x01/ HTTP/1.1\r\nHost: x\r\n\r\n", status: 400},
		{name: "bad version", raw: "GET / HTTP/2.5\r\nHost: x\r\n\r\n", status: 505},
		{name: "oversized header", raw: big, status: 431},
		{name: "unsupported transfer coding", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd, chunked\r\n\r\n", status: 501},
		{name: "partial head times out", raw: "GET / HTTP/1.1\r\nHost: x\r\n", status: 408},
		{name: "no byte then close", raw: "", close: true},
		{name: "no byte then header timeout", raw: ""},
		{name: "idle kept-alive times out", raw: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", good: true},
		{name: "idle kept-alive closes", raw: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", good: true, close: true},
	}
	for _, m := range append(modes[:len(modes):len(modes)], tlsModes...) {
		if m.adapt {
			continue // the adapter changes the handler, not what the server reports
		}
		t.Run(m.name, func(t *testing.T) {
			ch := make(chan headReport, 16)
			e := m.start(t, newApp(), func(s *server.Server) {
				s.Observer = web.ObserverFunc(func(r *web.Request, c web.Completion) {
					ch <- headReport{
						method: string(r.Method), target: string(r.Target), proto: string(r.Proto),
						site: r.Site, route: r.Route,
						remote: r.RemoteAddr.IsValid() && r.LocalAddr.IsValid(), tls: r.TLS != nil, c: c,
					}
				})
				// The server's clock ticks once a second, and its
				// timeouts with it.
				s.Timeouts.ReadHeader = time.Second
				s.Timeouts.Idle = time.Second
				s.Limits.MaxHeaderBytes = 1024
			})
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c, br := e.dial(t)
					write(t, c, tc.raw)
					if tc.good {
						if r := readResponse(t, br, "GET"); r.StatusCode != 200 {
							t.Fatalf("good request answered %d", r.StatusCode)
						}
						if o := <-ch; o.c.Status != 200 || o.method != "GET" {
							t.Fatalf("good request reported %+v", o)
						}
					}
					if tc.close {
						c.Close()
					}
					var body int64 = -1
					if tc.status != 0 {
						r := readResponse(t, br, "GET")
						if r.StatusCode != tc.status {
							t.Fatalf("server answered %d, want %d", r.StatusCode, tc.status)
						}
						body = int64(len(r.body))
					}
					if tc.status == 0 {
						if !tc.close {
							// Until the server closes the connection at
							// its header or idle timeout.
							br.ReadByte()
						}
						select {
						case o := <-ch:
							t.Errorf("reported %+v, want no report", o)
						case <-time.After(100 * time.Millisecond):
						}
						return
					}
					var o headReport
					select {
					case o = <-ch:
					case <-time.After(5 * time.Second):
						t.Fatal("no report")
					}
					if o.c.Status != tc.status || o.c.Bytes != body || o.c.Cut || o.c.Hijacked {
						t.Errorf("reported %+v, want status %d bytes %d", o.c, tc.status, body)
					}
					if o.method != "" || o.target != "" || o.proto != "" || o.site != "" || o.route != "" {
						t.Errorf("reported request %+v, want an empty head, site and route", o)
					}
					if !o.remote || o.tls != m.tls {
						t.Errorf("reported addresses set %v, TLS %v; want true, %v", o.remote, o.tls, m.tls)
					}
					if o.c.Start.IsZero() || o.c.Duration < 0 || o.c.Duration > 5*time.Second {
						t.Errorf("start %v duration %v", o.c.Start, o.c.Duration)
					}
					select {
					case o := <-ch:
						t.Errorf("a second report: %+v", o)
					case <-time.After(100 * time.Millisecond):
					}
				})
			}
			// A good request after all the bad ones, on another
			// connection, is reported as usual.
			c, br := e.dial(t)
			write(t, c, "GET /query?after HTTP/1.1\r\nHost: x\r\n\r\n")
			readResponse(t, br, "GET")
			select {
			case o := <-ch:
				if o.method != "GET" || o.target != "/query?after" || o.proto != "HTTP/1.1" || o.c.Status != 200 || o.c.Bytes != int64(len("after")) {
					t.Errorf("good request after bad ones reported %+v", o)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("good request after bad ones not reported")
			}
		})
	}
}
