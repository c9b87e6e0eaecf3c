package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Raw is a minimal HTTP/2 client: a Framer over a connection that has
// sent the preface and its SETTINGS.
type h2Raw struct {
	t   *testing.T
	nc  net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

func dialH2Raw(t *testing.T, e *h2env) *h2Raw {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if e.tls != nil {
		cfg := e.tls.clientConfig("localhost")
		cfg.NextProtos = []string{"h2"}
		nc = tls.Client(nc, cfg)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &h2Raw{t: t, nc: nc, fr: http2.NewFramer(nc, nc)}
	c.enc = hpack.NewEncoder(&c.buf)
	io.WriteString(nc, http2.ClientPreface)
	c.fr.WriteSettings()
	return c
}

// get sends a GET on stream id and reads until its response ends.
func (c *h2Raw) get(id uint32) {
	c.t.Helper()
	c.buf.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {":authority", "localhost"}} {
		c.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.buf.Bytes(), EndStream: true, EndHeaders: true})
	c.until("the response's end", func(f http2.Frame) bool {
		return f.Header().StreamID == id && f.Header().Flags.Has(http2.FlagDataEndStream)
	})
}

// until reads frames until match accepts one, answering SETTINGS.
func (c *h2Raw) until(what string, match func(http2.Frame) bool) http2.Frame {
	c.t.Helper()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			c.fr.WriteSettingsAck()
		}
		if match(f) {
			return f
		}
	}
}

func (c *h2Raw) goAway() {
	c.t.Helper()
	f := c.until("GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok })
	if code := f.(*http2.GoAwayFrame).ErrCode; code != http2.ErrCodeNo {
		c.t.Fatalf("GOAWAY %v, want NO_ERROR", code)
	}
}

// TestH2Parked: an HTTP/2 connection left idle (parked in its readiness
// loop in the epoll model, over h2c and TLS) answers a PING and serves
// its next request, and the idle timeout and a graceful shutdown reach
// it with GOAWAY; the goroutine-per-connection model behaves the same.
func TestH2Parked(t *testing.T) {
	const idle = 300 * time.Millisecond // parks after 100 ms
	for _, m := range []mode{{name: "epoll/h2c"}, {name: "epoll/h2", tls: true}, {name: "goroutine/h2c", std: true}, {name: "goroutine/h2", std: true, tls: true}} {
		for _, then := range []string{"ping and request", "idle timeout", "shutdown"} {
			t.Run(m.name+"/"+then, func(t *testing.T) {
				t.Parallel()
				timeout := 10 * time.Second
				if then == "idle timeout" {
					timeout = idle
				}
				e := startH2(t, m, func(s *server.Server) { s.Timeouts.Idle = timeout })
				c := dialH2Raw(t, e)
				c.get(1)
				time.Sleep(idle / 2)
				switch then {
				case "ping and request":
					for i := range 3 {
						c.fr.WritePing(false, [8]byte{byte(i)})
						c.until("PING ack", func(f http2.Frame) bool {
							p, ok := f.(*http2.PingFrame)
							return ok && p.IsAck() && p.Data[0] == byte(i)
						})
						time.Sleep(idle / 2)
						c.get(uint32(3 + 2*i))
						time.Sleep(idle / 2)
					}
				case "idle timeout":
					start := time.Now()
					c.goAway()
					if d := time.Since(start); d > 3*time.Second {
						t.Fatalf("GOAWAY %v after parking, want about the idle timeout", d)
					}
				case "shutdown":
					shut := make(chan error, 1)
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						defer cancel()
						shut <- e.srv.Shutdown(ctx)
					}()
					c.goAway()
					c.nc.Close()
					if err := <-shut; err != nil {
						t.Fatalf("Shutdown: %v", err)
					}
				}
			})
		}
	}
}
