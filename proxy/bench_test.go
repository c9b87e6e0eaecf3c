package proxy_test

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// BenchmarkProxy measures the proxy alone on a tiny GET to a kept-alive
// upstream: the handler is called directly with a parsed request and a
// writer that keeps nothing, and the upstream answers from fixed
// buffers, so the allocations reported are the proxy's own.
func BenchmarkProxy(b *testing.B) {
	h, r, w := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		w.h.Reset()
		if err := h.ServeHTTP(w, r); err != nil {
			b.Fatal(err)
		}
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}

// benchSetup starts an upstream answering from fixed buffers and a proxy
// to it, and returns a parsed request and a writer that keeps nothing.
func benchSetup(tb testing.TB) (*proxy.Handler, *web.Request, *discardWriter) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 8<<10)
				resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
				n := 0
				for {
					k, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += k
					if bytes.HasSuffix(buf[:n], []byte("\r\n\r\n")) {
						n = 0
						if _, err := c.Write(resp); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	c := proxy.DefaultConfig()
	c.To = []string{"http://" + ln.Addr().String()}
	h, err := proxy.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	raw := []byte("GET /hello?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	r := &web.Request{Body: web.NoBody, RemoteAddr: netip.MustParseAddrPort("127.0.0.1:40000")}
	var p wire.RequestParser
	if _, err := p.Parse(&r.RequestHead, raw, nil); err != nil {
		tb.Fatal(err)
	}
	return h, r, &discardWriter{}
}

type discardWriter struct {
	h      wire.Header
	status int
}

func (w *discardWriter) Header() *wire.Header              { return &w.h }
func (w *discardWriter) WriteHeader(s int)                 { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error)       { return len(p), nil }
func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }
