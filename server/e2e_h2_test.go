package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Handler is the behaviour the HTTP/2 tests ask for, by path.
func h2Handler(w web.ResponseWriter, r *web.Request) error {
	switch string(r.Path) {
	case "/echo":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		w.Header().Set("X-Proto", string(r.Proto))
		w.Header().Set("X-Host", string(r.Host))
		w.Header().Set("X-Method", string(r.Method))
		_, err = w.Write(b)
		return err
	case "/big":
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for range 16 {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	case "/flush":
		w.Write([]byte("first,"))
		if err := web.Flush(w); err != nil {
			return err
		}
		w.Write([]byte("second"))
		return nil
	case "/hold":
		// The first part must reach the client while the request body
		// is still open: the client closes it only once it has seen it.
		w.Write([]byte("first,"))
		if err := web.Flush(w); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		_, err := w.Write([]byte("second"))
		return err
	case "/trailer":
		w.Header().Set("Trailer", "X-Checksum")
		w.Write([]byte("body"))
		w.Header().Set("X-Checksum", "abc")
		return nil
	}
	w.Header().Set("Content-Type", "text/plain")
	_, err := w.Write([]byte("hello, world\n"))
	return err
}

// h2Std is h2Handler as a net/http handler, for the adapter's runs.
func h2Std(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/echo":
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Proto", fmt.Sprintf("%s %d", r.Proto, r.ProtoMajor))
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Method", r.Method)
		w.Write(b)
	case "/big":
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for range 16 {
			w.Write(chunk)
		}
	case "/flush":
		w.Write([]byte("first,"))
		w.(http.Flusher).Flush()
		w.Write([]byte("second"))
	case "/hold":
		w.Write([]byte("first,"))
		w.(http.Flusher).Flush()
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("second"))
	case "/trailer":
		w.Header().Set("Trailer", "X-Checksum")
		w.Write([]byte("body"))
		w.Header().Set("X-Checksum", "abc")
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("hello, world\n"))
	}
}

type h2env struct {
	srv  *server.Server
	addr string
	tls  *tlsSetup
	logs *syncBuffer
}

// startH2 serves h2Handler (or h2Std through the adapter) in mode m.
func startH2(t *testing.T, m mode, cfg func(*server.Server)) *h2env {
	t.Helper()
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	logs := new(syncBuffer)
	h := web.Handler(web.HandlerFunc(h2Handler))
	if m.adapt {
		h = nethttp.Handler(http.HandlerFunc(h2Std))
	}
	srv := &server.Server{Handler: h, GoroutinePerConn: m.std, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if cfg != nil {
		cfg(srv)
	}
	e := &h2env{srv: srv, addr: ln.Addr().String(), logs: logs}
	served := make(chan error, 1)
	if m.tls {
		e.tls = testTLS(t)
		go func() { served <- srv.ServeTLS(ln, e.tls.server) }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return e
}

var h2Modes = []mode{
	{name: "epoll/native"},
	{name: "epoll/nethttp", adapt: true},
	{name: "goroutine/native", std: true},
}

// h2Clients are the Go clients of the matrix: net/http's client with
// ForceAttemptHTTP2 and x/net's http2.Transport over TLS, and
// http2.Transport with prior knowledge over cleartext.
func h2Clients(t *testing.T, m mode) map[string]*http.Client {
	tlsM := m
	tlsM.tls = true
	te := startH2(t, tlsM, nil)
	pe := startH2(t, m, nil)
	ccfg := te.tls.clientConfig("localhost")
	return map[string]*http.Client{
		"net/http": {Transport: &http.Transport{
			TLSClientConfig: ccfg, ForceAttemptHTTP2: true,
			DialContext: fixedDial(te.addr),
		}},
		"http2.Transport/tls": {Transport: &http2.Transport{
			TLSClientConfig: ccfg,
			DialTLSContext: func(ctx context.Context, network, _ string, cfg *tls.Config) (net.Conn, error) {
				return tls.Dial(network, te.addr, cfg)
			},
		}},
		"http2.Transport/h2c": {Transport: &http2.Transport{
			AllowHTTP: true,
			DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
				return net.Dial(network, pe.addr)
			},
		}},
	}
}

func fixedDial(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// TestH2Clients runs Go's HTTP/2 clients against every model and handler
// kind: the request's view (protocol, method, authority), bodies both
// ways, a response larger than every window, streaming, trailers and
// concurrent streams on one connection.
func TestH2Clients(t *testing.T) {
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			for name, c := range h2Clients(t, m) {
				t.Run(name, func(t *testing.T) {
					scheme := "https"
					if strings.HasSuffix(name, "h2c") {
						scheme = "http"
					}
					base := scheme + "://localhost"
					wantProto := "HTTP/2.0"
					if m.adapt {
						wantProto = "HTTP/2.0 2"
					}
					body := strings.Repeat("x", 300<<10)
					resp, err := c.Post(base+"/echo?q=1", "text/plain", strings.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					got, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.ProtoMajor != 2 || resp.Header.Get("X-Proto") != wantProto || resp.Header.Get("X-Host") != "localhost" ||
						resp.Header.Get("X-Method") != "POST" || string(got) != body {
						t.Fatalf("echo: proto %d, X-Proto %q, X-Host %q, X-Method %q, %d bytes back of %d",
							resp.ProtoMajor, resp.Header.Get("X-Proto"), resp.Header.Get("X-Host"), resp.Header.Get("X-Method"), len(got), len(body))
					}
					var wg sync.WaitGroup
					for range 8 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							resp, err := c.Get(base + "/big")
							if err != nil {
								t.Error(err)
								return
							}
							n, _ := io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if n != 1<<20 {
								t.Errorf("/big: %d bytes, want %d", n, 1<<20)
							}
						}()
					}
					wg.Wait()
					resp, err = c.Get(base + "/flush")
					if err != nil {
						t.Fatal(err)
					}
					got, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(got) != "first,second" {
						t.Errorf("/flush: %q", got)
					}
					resp, err = c.Get(base + "/trailer")
					if err != nil {
						t.Fatal(err)
					}
					got, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(got) != "body" || resp.Trailer.Get("X-Checksum") != "abc" {
						t.Errorf("/trailer: body %q, trailer %v", got, resp.Trailer)
					}
				})
			}
		})
	}
}

// TestH2CUpgrade upgrades a cleartext HTTP/1.1 request with
// "Upgrade: h2c" and reads its answer on stream 1; with DisableH2C the
// request is served over HTTP/1.1 and a preface is a bad request.
func TestH2CUpgrade(t *testing.T) {
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			for _, disable := range []bool{false, true} {
				e := startH2(t, m, func(s *server.Server) { s.DisableH2C = disable })
				c, err := net.Dial("tcp", e.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				if disable {
					if resp.StatusCode != 200 || resp.Header.Get("X-Proto") != "HTTP/1.1" && resp.Header.Get("X-Proto") != "HTTP/1.1 1" {
						t.Fatalf("disabled: %d, X-Proto %q", resp.StatusCode, resp.Header.Get("X-Proto"))
					}
					continue
				}
				if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "h2c" {
					t.Fatalf("upgrade answered %d, Upgrade %q", resp.StatusCode, resp.Header.Get("Upgrade"))
				}
				io.WriteString(c, http2.ClientPreface)
				fr := http2.NewFramer(c, br)
				fr.WriteSettings()
				var fields []hpack.HeaderField
				dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { fields = append(fields, f) })
				var body []byte
				for done := false; !done; {
					f, err := fr.ReadFrame()
					if err != nil {
						t.Fatalf("reading frames: %v", err)
					}
					switch f := f.(type) {
					case *http2.HeadersFrame:
						if f.StreamID != 1 {
							t.Fatalf("HEADERS on stream %d", f.StreamID)
						}
						dec.Write(f.HeaderBlockFragment())
						done = f.StreamEnded()
					case *http2.DataFrame:
						body = append(body, f.Data()...)
						done = f.StreamEnded()
					}
				}
				got := map[string]string{}
				for _, f := range fields {
					got[f.Name] = f.Value
				}
				if got[":status"] != "200" || !strings.HasPrefix(got["x-proto"], "HTTP/2.0") || got["x-host"] != "up.test" {
					t.Errorf("stream 1: %v, body %q", got, body)
				}
			}
		})
	}
}

// TestH2Shutdown shuts the server down while an HTTP/2 request is in
// flight: the stream finishes, the connection closes, and Shutdown
// returns once it has.
func TestH2Shutdown(t *testing.T) {
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			e := startH2(t, m, nil)
			c := &http.Client{Transport: &http2.Transport{
				AllowHTTP: true,
				DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
					return net.Dial(network, e.addr)
				},
			}}
			pr, pw := io.Pipe()
			type result struct {
				body string
				err  error
			}
			done := make(chan result, 1)
			go func() {
				resp, err := c.Post("http://"+e.addr+"/echo", "text/plain", pr)
				if err != nil {
					done <- result{err: err}
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				done <- result{string(b), err}
			}()
			io.WriteString(pw, "in flight, ")
			for deadline := time.Now().Add(5 * time.Second); e.srv.OpenConns() == 0; {
				if time.Now().After(deadline) {
					t.Fatal("no connection open")
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // the request reaches its handler
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				shut <- e.srv.Shutdown(ctx)
			}()
			time.Sleep(100 * time.Millisecond)
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v with a stream in flight", err)
			default:
			}
			io.WriteString(pw, "then done")
			pw.Close()
			if r := <-done; r.err != nil || r.body != "in flight, then done" {
				t.Fatalf("request in flight: %q, %v", r.body, r.err)
			}
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
		})
	}
}
