package h2

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// testHandler serves the paths the tests use.
func testHandler(w web.ResponseWriter, r *web.Request) error {
	switch string(r.Path) {
	case "/slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return nil
	case "/big":
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 16 {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	case "/echo":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	_, err := w.Write([]byte("ok"))
	return err
}

// serveTest serves HTTP/2 connections with cfg (its Handler defaulting to
// testHandler) on a loopback listener and returns its address.
func serveTest(t testing.TB, cfg *Config) string {
	t.Helper()
	if cfg.Handler == nil {
		cfg.Handler = web.HandlerFunc(testHandler)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := NewConn(nc, cfg, ConnOptions{})
			t.Cleanup(c.Close)
			served.Store(cfg, c)
			go c.Serve()
		}
	}()
	return ln.Addr().String()
}

// served holds each test configuration's latest connection.
var served sync.Map

func liveConns(t *testing.T, cfg *Config) *Conn {
	t.Helper()
	c, ok := served.Load(cfg)
	if !ok {
		t.Fatal("no connection served")
	}
	return c.(*Conn)
}

func hf(name, value string) hpack.HeaderField { return hpack.HeaderField{Name: name, Value: value} }

// client is a raw HTTP/2 client for tests that break the rules.
type client struct {
	t   *testing.T
	nc  net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
	dec *hpack.Decoder // the server's responses, in order
	got map[string]string
}

// dial connects, sends the preface and settings, and reads the server's
// SETTINGS.
func dial(t *testing.T, addr string, settings ...http2.Setting) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &client{t: t, nc: nc, fr: http2.NewFramer(nc, nc)}
	c.enc = hpack.NewEncoder(&c.buf)
	c.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) { c.got[f.Name] = f.Value })
	io.WriteString(nc, ClientPreface)
	c.fr.WriteSettings(settings...)
	f := c.read()
	if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	return c
}

func (c *client) read() http2.Frame {
	c.t.Helper()
	f, err := c.fr.ReadFrame()
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	return f
}

// block encodes a request's header block; extra fields follow the
// pseudo-header fields.
func (c *client) block(method, path string, extra ...string) []byte {
	c.buf.Reset()
	c.enc.WriteField(hpack.HeaderField{Name: ":method", Value: method})
	c.enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: "http"})
	c.enc.WriteField(hpack.HeaderField{Name: ":path", Value: path})
	c.enc.WriteField(hpack.HeaderField{Name: ":authority", Value: "test"})
	for i := 0; i+1 < len(extra); i += 2 {
		c.enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	return bytes.Clone(c.buf.Bytes())
}

func (c *client) request(id uint32, method, path string, end bool, extra ...string) {
	c.t.Helper()
	err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block(method, path, extra...), EndStream: end, EndHeaders: true})
	if err != nil {
		c.t.Fatal(err)
	}
}

// until reads frames until match accepts one, failing at a GOAWAY or
// the connection's end when match does not want them.
func (c *client) until(what string, match func(http2.Frame) bool) http2.Frame {
	c.t.Helper()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			c.t.Fatalf("waiting for %s: GOAWAY %v", what, ga.ErrCode)
		}
	}
}

// goAway reads until a GOAWAY and checks its code.
func (c *client) goAway(code http2.ErrCode) {
	c.t.Helper()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("waiting for GOAWAY %v: %v", code, err)
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.ErrCode != code {
				c.t.Fatalf("GOAWAY %v, want %v", ga.ErrCode, code)
			}
			return
		}
	}
}

// status reads stream id's response head and returns its :status.
func (c *client) status(id uint32) string {
	c.t.Helper()
	c.until("a response", func(f http2.Frame) bool {
		if rst, ok := f.(*http2.RSTStreamFrame); ok && rst.StreamID == id {
			c.t.Fatalf("stream %d reset: %v", id, rst.ErrCode)
		}
		h, ok := f.(*http2.HeadersFrame)
		if !ok {
			return false
		}
		c.got = map[string]string{}
		c.dec.Write(h.HeaderBlockFragment())
		return h.StreamID == id
	})
	return c.got[":status"]
}

// reset reads until stream id is reset and returns the code.
func (c *client) reset(id uint32) http2.ErrCode {
	c.t.Helper()
	f := c.until("RST_STREAM", func(f http2.Frame) bool {
		rst, ok := f.(*http2.RSTStreamFrame)
		return ok && rst.StreamID == id
	})
	return f.(*http2.RSTStreamFrame).ErrCode
}
