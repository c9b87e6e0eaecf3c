package router_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// recorder is a ResponseWriter that keeps what a handler answered.
type recorder struct {
	h      wire.Header
	status int
	body   strings.Builder
}

func (w *recorder) Header() *wire.Header { return &w.h }
func (w *recorder) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *recorder) Write(p []byte) (int, error)       { return w.body.Write(p) }
func (w *recorder) WriteString(s string) (int, error) { return w.body.WriteString(s) }

// nopWriter is a ResponseWriter that allocates nothing.
type nopWriter struct{ h wire.Header }

func (w *nopWriter) Header() *wire.Header              { return &w.h }
func (w *nopWriter) WriteHeader(int)                   {}
func (w *nopWriter) Write(p []byte) (int, error)       { return len(p), nil }
func (w *nopWriter) WriteString(s string) (int, error) { return len(s), nil }

// parse makes a request from a raw head, as the server would hand it over.
func parse(t testing.TB, raw string) *web.Request {
	t.Helper()
	r := &web.Request{Body: web.NoBody}
	if _, err := new(wire.RequestParser).Parse(&r.RequestHead, []byte(raw), nil); err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return r
}

// get is parse for a GET of target with a Host.
func get(t testing.TB, host, target string) *web.Request {
	return parse(t, "GET "+target+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
}

// named answers with its name, so tests see which handler ran.
func named(name string) web.Handler {
	return web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		_, err := w.WriteString(name)
		return err
	})
}

// serve starts a real server with h on 127.0.0.1:0 and returns its address.
func serve(t *testing.T, h web.Handler, cfg func(*server.Server)) string {
	t.Helper()
	srv := &server.Server{Handler: h}
	if cfg != nil {
		cfg(srv)
	}
	return loopback.Serve(t, srv)
}

// rawConn is a client connection speaking raw bytes.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{c: c, br: bufio.NewReader(c)}
}

// do writes raw and reads one response to method, with its body.
func (rc *rawConn) do(t *testing.T, raw, method string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(rc.c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(b)
}
