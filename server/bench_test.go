package server_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// The benchmarks drive a loopback server from a raw client that allocates
// nothing, so -benchmem reports the server's allocations. Each runs in both
// connection models.

var benchModels = []struct {
	name    string
	perConn bool
}{{"epoll", false}, {"goroutine", true}}

// BenchmarkHelloKeepAlive is one kept-alive GET answered with
// "Hello, World!" per iteration, one request in flight at a time.
func BenchmarkHelloKeepAlive(b *testing.B) {
	for _, m := range benchModels {
		b.Run(m.name, func(b *testing.B) {
			rc := newRawClient(b, startHello(b, m.perConn), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				rc.roundTrip(b, 1)
			}
		})
	}
}

// BenchmarkHelloKeepAliveTLS is BenchmarkHelloKeepAlive over TLS 1.3
// (AES-128-GCM). Its allocations are the server's and crypto/tls's on both
// ends: client and server share the process.
func BenchmarkHelloKeepAliveTLS(b *testing.B) {
	for _, m := range benchModels {
		b.Run(m.name, func(b *testing.B) {
			srv := &server.Server{Handler: helloHandler, GoroutinePerConn: m.perConn}
			ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
			if err != nil {
				b.Fatal(err)
			}
			go srv.ServeTLS(ln, testTLS(b).server)
			b.Cleanup(func() { srv.Close() })
			c, err := tls.Dial("tcp", ln.Addr().String(), testTLS(b).clientConfig("localhost"))
			if err != nil {
				b.Fatal(err)
			}
			rc := newRawClientConn(b, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				rc.roundTrip(b, 1)
			}
		})
	}
}

// BenchmarkPipelined16 sends 16 pipelined GETs in one write and reads the
// 16 responses; an iteration is one request.
func BenchmarkPipelined16(b *testing.B) {
	const depth = 16
	for _, m := range benchModels {
		b.Run(m.name, func(b *testing.B) {
			addr := startHello(b, m.perConn)
			one := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			rc := newRawClient(b, addr, one)
			rc.req = []byte(strings.Repeat(one, depth))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += depth {
				rc.roundTrip(b, depth)
			}
		})
	}
}

// helloHandler is the handler of the allocation budget: a kept-alive GET
// answered with a short body must not allocate in the server.
var helloHandler = web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.WriteString("Hello, World!")
	return err
})

// rawClient sends one fixed request per round trip and reads the fixed-size
// response into its own buffer, so that it allocates nothing itself.
type rawClient struct {
	c    net.Conn
	req  []byte
	resp []byte // len is the response size, learnt from the first response
}

func newRawClient(tb testing.TB, addr, req string) *rawClient {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	return newRawClientConn(tb, c, req)
}

func newRawClientConn(tb testing.TB, c net.Conn, req string) *rawClient {
	tb.Helper()
	tb.Cleanup(func() { c.Close() })
	rc := &rawClient{c: c, req: []byte(req), resp: make([]byte, 64<<10)}
	// The first response tells the size of every later one: the Date
	// field has a fixed width.
	if _, err := c.Write(rc.req); err != nil {
		tb.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for !bytes.Contains(rc.resp[:n], []byte("Hello, World!")) {
		k, err := c.Read(rc.resp[n:])
		if err != nil {
			tb.Fatalf("first response: %q, %v", rc.resp[:n], err)
		}
		n += k
	}
	c.SetReadDeadline(time.Time{})
	if !bytes.HasPrefix(rc.resp, []byte("HTTP/1.1 200 OK\r\n")) || !bytes.HasSuffix(rc.resp[:n], []byte("\r\n\r\nHello, World!")) {
		tb.Fatalf("first response: %q", rc.resp[:n])
	}
	rc.resp = rc.resp[:n]
	return rc
}

// roundTrip sends the request batch and reads batch responses.
func (rc *rawClient) roundTrip(tb testing.TB, batch int) {
	if _, err := rc.c.Write(rc.req); err != nil {
		tb.Fatal(err)
	}
	for range batch {
		if _, err := io.ReadFull(rc.c, rc.resp); err != nil {
			tb.Fatal(err)
		}
	}
}

func startHello(tb testing.TB, perConn bool, obs ...web.Observer) string {
	tb.Helper()
	srv := &server.Server{Handler: helloHandler, GoroutinePerConn: perConn}
	if len(obs) > 0 {
		srv.Observer = web.Observers(obs)
	}
	return loopback.Serve(tb, srv)
}
