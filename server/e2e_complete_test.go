package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// observed is what an Observer was told of one request, copied out during
// the call: the request's memory is the server's again afterwards.
type observed struct {
	line string // method and target
	c    web.Completion
}

// observer records every report on a channel.
func observer(ch chan<- observed) web.Observer {
	return web.ObserverFunc(func(r *web.Request, c web.Completion) {
		ch <- observed{line: string(r.Method) + " " + string(r.Target), c: c}
	})
}

// TestObserver: the server reports what it sent for every request, once,
// its own answers included (a body that timed out is 408, not the 500 a
// middleware would guess from the handler's error), in both connection
// models.
func TestObserver(t *testing.T) {
	tests := []struct {
		name, raw string
		status    int
		bytes     int64
		cut, hij  bool
	}{
		{"hello", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, 13, false, false},
		{"HEAD", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 200, 0, false, false},
		{"flushed", "GET /flushed HTTP/1.1\r\nHost: x\r\n\r\n", 200, 11, false, false},
		{"handler 404", "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", 404, int64(len("Not Found\n")), false, false},
		{"handler error", "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n", 500, int64(len("Internal Server Error\n")), false, false},
		{"HEAD handler error", "HEAD /fail HTTP/1.1\r\nHost: x\r\n\r\n", 500, 0, false, false},
		{"panic", "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n", 500, int64(len("internal server error\n")), false, false},
		{"abort", "GET /abort HTTP/1.1\r\nHost: x\r\n\r\n", 0, 0, true, false},
		{"panic after flush", "GET /panic-after-flush HTTP/1.1\r\nHost: x\r\n\r\n", 200, 7, true, false},
		{"hijack", "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\nping\n", 0, 0, false, true},
		{"body timeout", "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", 408, int64(len("request body timeout\n")), false, false},
		{"declared body too large", "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413, int64(len("request body too large\n")), false, false},
		{"chunked body too large", "POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n", 413, -1, false, false},
		{"bad chunk", "POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, int64(len(wire.ErrBadChunk.Reason) + 1), false, false},
	}
	for _, m := range modes {
		if m.adapt {
			continue // the adapter's answers differ; the server's reports do not
		}
		t.Run(m.name, func(t *testing.T) {
			ch := make(chan observed, 16)
			e := m.start(t, newApp(), func(s *server.Server) {
				s.Observer = observer(ch)
				s.Timeouts.Read = 300 * time.Millisecond
				s.Limits.MaxBodyBytes = 1 << 20
			})
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c, br := e.dial(t)
					write(t, c, tc.raw)
					method, rest, _ := strings.Cut(tc.raw, " ")
					target, _, _ := strings.Cut(rest, " ")
					tryReadResponse(br, method) // whatever comes, if anything
					var o observed
					select {
					case o = <-ch:
					case <-time.After(5 * time.Second):
						t.Fatal("no report")
					}
					if want := method + " " + target; o.line != want {
						t.Errorf("reported %q, want %q", o.line, want)
					}
					c2 := o.c
					if c2.Status != tc.status || tc.bytes >= 0 && c2.Bytes != tc.bytes || c2.Cut != tc.cut || c2.Hijacked != tc.hij {
						t.Errorf("reported %+v, want status %d bytes %d cut %v hijacked %v", c2, tc.status, tc.bytes, tc.cut, tc.hij)
					}
					if c2.Start.IsZero() || c2.Duration < 0 || c2.Duration > 5*time.Second {
						t.Errorf("start %v duration %v", c2.Start, c2.Duration)
					}
					select {
					case o := <-ch:
						t.Errorf("a second report: %+v", o)
					case <-time.After(20 * time.Millisecond):
					}
				})
			}
		})
	}
}

// TestObserverPipelined: pipelined requests are reported one by one, in
// order, each while its own head is still in the read buffer.
func TestObserverPipelined(t *testing.T) {
	for _, m := range modes {
		if m.adapt {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			ch := make(chan observed, 64)
			e := m.start(t, newApp(), func(s *server.Server) { s.Observer = observer(ch) })
			c, br := e.dial(t)
			const n = 20
			var raw string
			for i := range n {
				raw += "GET /query?" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"
			}
			write(t, c, raw)
			for i := range n {
				readResponse(t, br, "GET")
				o := <-ch
				if want := "GET /query?" + strconv.Itoa(i); o.line != want || o.c.Status != 200 || o.c.Bytes != int64(len(strconv.Itoa(i))) {
					t.Errorf("report %d: %q %+v, want %q", i, o.line, o.c, want)
				}
			}
		})
	}
}
