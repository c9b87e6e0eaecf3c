package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// End-to-end tests: a real Server on a loopback socket, driven by raw bytes
// or real clients. Every behaviour runs in the run(t, f) matrix: the epoll
// readiness loops and the goroutine-per-connection model, each with a native
// web.Handler and with the same behaviour written for net/http and served
// through nethttp.Handler.

// mode is one cell of the matrix.
type mode struct {
	name  string
	std   bool // Server.GoroutinePerConn
	adapt bool // the net/http version of the handler, through nethttp
	tls   bool // ServeTLS, and clients over TLS (e2e_tls_test.go)
}

var modes = []mode{
	{name: "epoll/native"},
	{name: "epoll/nethttp", adapt: true},
	{name: "goroutine/native", std: true},
	{name: "goroutine/nethttp", std: true, adapt: true},
}

// run runs f once per mode, over plain TCP and over TLS (tlsModes), each
// as a subtest: the request loop must not notice TLS.
func run(t *testing.T, f func(t *testing.T, m mode)) {
	t.Helper()
	for _, m := range append(modes[:len(modes):len(modes)], tlsModes...) {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// runPlain is run without TLS, for tests whose clients (curl, Python,
// net.Dial) speak plain HTTP.
func runPlain(t *testing.T, f func(t *testing.T, m mode)) {
	t.Helper()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// runParallel is run with the modes in parallel, for cases that mostly wait
// (timeouts, shutdown).
func runParallel(t *testing.T, f func(t *testing.T, m mode)) {
	t.Helper()
	for _, m := range append(modes[:len(modes):len(modes)], tlsModes...) {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			f(t, m)
		})
	}
}

// env is a running server.
type env struct {
	app    *app
	srv    *server.Server
	addr   string
	logs   *syncBuffer
	served chan error // Serve's result

	servedOnce sync.Once
	servedErr  error

	tls *tlsSetup // set when the server speaks TLS: dial speaks it too
}

// serveResult waits for Serve to return and returns its result.
func (e *env) serveResult(t *testing.T) error {
	t.Helper()
	e.servedOnce.Do(func() {
		select {
		case e.servedErr = <-e.served:
		case <-time.After(5 * time.Second):
			e.servedErr = errors.New("Serve did not return")
		}
	})
	return e.servedErr
}

// syncBuffer is a bytes.Buffer that the server's logger and the test may
// use at the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start serves a's behaviour in mode m on 127.0.0.1:0; cfg, when not nil,
// sets limits and timeouts before Serve.
func (m mode) start(t *testing.T, a *app, cfg func(*server.Server)) *env {
	t.Helper()
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return m.serve(t, ln, a, cfg)
}

func (m mode) serve(t *testing.T, ln net.Listener, a *app, cfg func(*server.Server)) *env {
	t.Helper()
	logs := new(syncBuffer)
	h := web.Handler(web.HandlerFunc(a.serveWeb))
	if m.adapt {
		h = nethttp.Handler(http.HandlerFunc(a.serveStd))
	}
	srv := &server.Server{
		Handler:          h,
		Logger:           slog.New(slog.NewTextHandler(logs, nil)),
		GoroutinePerConn: m.std,
	}
	if cfg != nil {
		cfg(srv)
	}
	e := &env{app: a, srv: srv, addr: ln.Addr().String(), logs: logs, served: make(chan error, 1)}
	if m.tls {
		e.tls = testTLS(t)
		go func() { e.served <- srv.ServeTLS(ln, e.tls.server) }()
	} else {
		go func() { e.served <- srv.Serve(ln) }()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := e.serveResult(t); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return e
}

// dial opens a raw connection with a deadline that fails a hung test
// instead of stalling it.
func (e *env) dial(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if e.tls != nil {
		c = e.tls.client(t, c)
	}
	return c, bufio.NewReader(c)
}

// roundTrip sends raw and reads one response to method.
func (e *env) roundTrip(t *testing.T, raw string) *response {
	t.Helper()
	c, br := e.dial(t)
	write(t, c, raw)
	return readResponse(t, br, "GET")
}

// checkServes fails unless a new connection gets "Hello, World!".
func (e *env) checkServes(t *testing.T) {
	t.Helper()
	r := e.roundTrip(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if r.StatusCode != 200 || r.body != "Hello, World!" {
		t.Fatalf("server no longer serves: %d %q", r.StatusCode, r.body)
	}
}

// response is a parsed response with its body read.
type response struct {
	*http.Response
	body string
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// readResponse reads one response (for a request with method) and its body.
func readResponse(t *testing.T, br *bufio.Reader, method string) *response {
	t.Helper()
	r, err := tryReadResponse(br, method)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return r
}

func tryReadResponse(br *bufio.Reader, method string) (*response, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	return &response{Response: resp, body: string(b)}, nil
}

// expectClosed fails unless the server closed the connection with nothing
// more to read.
func expectClosed(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := br.ReadByte()
	switch {
	case err == nil:
		rest, _ := br.Peek(br.Buffered())
		t.Fatalf("connection still open: read %q", append([]byte{b}, rest...))
	case isTimeout(err):
		t.Fatal("connection not closed")
	case err != io.EOF && !errors.Is(err, syscall.ECONNRESET):
		t.Fatalf("read after response: %v", err)
	}
}

// expectOpen fails unless the connection serves one more request.
func expectOpen(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	r := readResponse(t, br, "GET")
	if r.StatusCode != 200 || r.body != "Hello, World!" {
		t.Fatalf("next request on the connection: %d %q", r.StatusCode, r.body)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestMalformed sends requests the server must refuse: each gets the exact
// status, a "Connection: close", and a closed connection, and the server
// goes on serving new connections.
func TestMalformed(t *testing.T) {
	const maxBody = 64 << 10
	tests := []struct {
		name   string
		raw    string
		status int
	}{
		{"bad request line", "GARBAGE\r\n\r\n", 400},
		{"lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"long target", "GET /" + strings.Repeat("a", 9<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
		{"huge header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 70<<10) + "\r\n\r\n", 431},
		{"too many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: 1\r\n", 101) + "\r\n", 431},
		{"missing Host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"TE and CL", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
		{"TE on HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"gzip, chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"chunked not last", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"bare CR", "GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400},
		{"bad Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400},
		{"negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
		{"conflicting Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
		{"Expect: something-else", "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417},
		{"Content-Length over MaxBodyBytes", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(maxBody+1) + "\r\n\r\n", 413},
		{"chunked body over the limit", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"8000\r\n" + strings.Repeat("a", 0x8000) + "\r\n8001\r\n" + strings.Repeat("a", 0x100), 413},
		{"malformed chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
		{"whitespace after the chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n", 400},
		{"whitespace after the last chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0 \r\n\r\n", 400},
		{"chunk without CRLF", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n", 400},
		{"bare LF in chunked framing", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400},
		{"malformed second request of a pipeline", "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
	}
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) { s.Limits.MaxBodyBytes = maxBody })
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c, br := e.dial(t)
				write(t, c, tc.raw)
				r := readResponse(t, br, "GET")
				if strings.HasPrefix(tc.name, "malformed second") {
					if r.StatusCode != 200 {
						t.Fatalf("first response: %d", r.StatusCode)
					}
					r = readResponse(t, br, "GET")
				}
				if r.StatusCode != tc.status {
					t.Fatalf("status %d, want %d (body %q)", r.StatusCode, tc.status, r.body)
				}
				// ReadResponse takes "Connection: close" out of the header
				// into Close; the response is HTTP/1.1, so nothing else sets it.
				if !r.Close {
					t.Errorf("no Connection: close in %v", r.Header)
				}
				// A short fixed reason that does not echo the request.
				if r.body == "" || len(r.body) > 64 || strings.Contains(r.body, "GARBAGE") || strings.Contains(r.body, "aaaa") {
					t.Errorf("body %q", r.body)
				}
				expectClosed(t, c, br)
				e.checkServes(t)
			})
		}
	})
}

// TestPipelining sends many requests in one write; the responses come back
// complete and in order.
func TestPipelining(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		t.Run("20 GETs", func(t *testing.T) {
			c, br := e.dial(t)
			var b strings.Builder
			for i := range 20 {
				fmt.Fprintf(&b, "GET /query?%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			}
			write(t, c, b.String())
			for i := range 20 {
				r := readResponse(t, br, "GET")
				if r.StatusCode != 200 || r.body != strconv.Itoa(i) {
					t.Fatalf("response %d: %d %q", i, r.StatusCode, r.body)
				}
			}
			expectOpen(t, c, br)
		})
		t.Run("mixed GET and POST with bodies", func(t *testing.T) {
			c, br := e.dial(t)
			type want struct{ method, body string }
			var reqs strings.Builder
			var wants []want
			for i := range 10 {
				switch i % 4 {
				case 0:
					fmt.Fprintf(&reqs, "GET /query?g%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
					wants = append(wants, want{"GET", fmt.Sprintf("g%d", i)})
				case 1:
					body := fmt.Sprintf("post-%d-%s", i, strings.Repeat("p", i*100))
					fmt.Fprintf(&reqs, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
					wants = append(wants, want{"POST", body})
				case 2:
					fmt.Fprintf(&reqs, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n%x\r\n%s\r\n0\r\n\r\n", i, strings.Repeat("c", i))
					wants = append(wants, want{"POST", "abc" + strings.Repeat("c", i)})
				case 3:
					fmt.Fprintf(&reqs, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
					wants = append(wants, want{"HEAD", ""})
				}
			}
			write(t, c, reqs.String())
			for i, w := range wants {
				r := readResponse(t, br, w.method)
				if r.StatusCode != 200 || r.body != w.body {
					t.Fatalf("response %d (%s): %d %q, want %q", i, w.method, r.StatusCode, r.body, w.body)
				}
			}
			expectOpen(t, c, br)
		})
		t.Run("unread bodies in a pipeline", func(t *testing.T) {
			c, br := e.dial(t)
			var reqs strings.Builder
			for i := range 5 {
				fmt.Fprintf(&reqs, "POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", 1000*i, strings.Repeat("n", 1000*i))
			}
			reqs.WriteString("GET /query?last HTTP/1.1\r\nHost: x\r\n\r\n")
			write(t, c, reqs.String())
			for i := range 5 {
				if r := readResponse(t, br, "POST"); r.StatusCode != 200 || r.body != "ok" {
					t.Fatalf("response %d: %d %q", i, r.StatusCode, r.body)
				}
			}
			if r := readResponse(t, br, "GET"); r.body != "last" {
				t.Fatalf("last response %q", r.body)
			}
		})
	})
}

// TestKeepAlive covers persistence: many requests on one connection, and
// the HTTP/1.0 and Connection: close rules (RFC 9112 §9.3).
func TestKeepAlive(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		t.Run("1000 requests on one connection", func(t *testing.T) {
			c, br := e.dial(t)
			for i := range 1000 {
				write(t, c, "GET /query?"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: x\r\n\r\n")
				r := readResponse(t, br, "GET")
				if r.StatusCode != 200 || r.body != strconv.Itoa(i) || r.Close {
					t.Fatalf("request %d: %d %q close=%v", i, r.StatusCode, r.body, r.Close)
				}
			}
		})
		tests := []struct {
			name      string
			raw       string
			keepAlive bool
			header    string // the response's Connection field
		}{
			{"HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", false, "close"},
			{"HTTP/1.0 with keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, "keep-alive"},
			{"HTTP/1.0 with Keep-Alive, mixed case", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, "keep-alive"},
			{"HTTP/1.1 persists by default", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", true, ""},
			{"HTTP/1.1 Connection: close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false, "close"},
			{"HTTP/1.1 close among options", "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", false, "close"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c, br := e.dial(t)
				for i := range 2 {
					write(t, c, tc.raw)
					r := readResponse(t, br, "GET")
					if r.StatusCode != 200 || r.body != "Hello, World!" {
						t.Fatalf("%d %q", r.StatusCode, r.body)
					}
					got := r.Header.Get("Connection")
					if r.Close {
						got = "close" // ReadResponse moves it into Close
					}
					if got != tc.header {
						t.Fatalf("Connection: %q, want %q", got, tc.header)
					}
					if r.Header.Get("Content-Length") != "13" {
						t.Fatalf("Content-Length %q", r.Header.Get("Content-Length"))
					}
					if !tc.keepAlive {
						expectClosed(t, c, br)
						return
					}
					_ = i
				}
			})
		}
	})
}

// TestHead checks that a HEAD response has the GET response's
// Content-Length and no body bytes: the next response follows at once.
func TestHead(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		for _, path := range []string{"/", "/big", "/flushed"} {
			t.Run(path, func(t *testing.T) {
				c, br := e.dial(t)
				write(t, c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
				get := readResponse(t, br, "GET")
				write(t, c, "HEAD "+path+" HTTP/1.1\r\nHost: x\r\n\r\nGET /query?after HTTP/1.1\r\nHost: x\r\n\r\n")
				head, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
				if err != nil {
					t.Fatal(err)
				}
				if head.StatusCode != 200 {
					t.Fatalf("HEAD status %d", head.StatusCode)
				}
				// A HEAD response may state the length a GET would have
				// (RFC 9110 §9.3.2) even where the GET response streamed.
				cl := head.Header.Get("Content-Length")
				if want := get.Header.Get("Content-Length"); want != "" && cl != want {
					t.Errorf("HEAD Content-Length %q, GET %q", cl, want)
				}
				if cl != "" && cl != strconv.Itoa(len(get.body)) {
					t.Errorf("HEAD Content-Length %q, GET body %d bytes", cl, len(get.body))
				}
				if got, want := head.Header.Get("Content-Type"), get.Header.Get("Content-Type"); got != want {
					t.Errorf("HEAD Content-Type %q, GET %q", got, want)
				}
				if len(head.TransferEncoding) > 0 {
					t.Errorf("HEAD Transfer-Encoding %v", head.TransferEncoding)
				}
				// The next bytes on the wire must be the next response.
				line, err := br.ReadString('\n')
				if err != nil || line != "HTTP/1.1 200 OK\r\n" {
					t.Fatalf("after the HEAD response: %q, %v", line, err)
				}
				rest := readResponse(t, bufio.NewReader(io.MultiReader(strings.NewReader(line), br)), "GET")
				if rest.body != "after" {
					t.Fatalf("next response %q", rest.body)
				}
			})
		}
	})
}

// TestConcurrentClients runs many connections at once, each sending
// pipelined batches of GETs and POSTs with bodies, to shake out races in
// the hand-over between the readiness loops and the workers.
func TestConcurrentClients(t *testing.T) {
	const clients, rounds = 40, 25
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", e.addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				br := bufio.NewReader(c)
				for r := range rounds {
					var req strings.Builder
					var want []string
					for k := range 1 + (i+r)%4 {
						tag := fmt.Sprintf("c%d-r%d-k%d", i, r, k)
						if k%2 == 0 {
							fmt.Fprintf(&req, "GET /query?%s HTTP/1.1\r\nHost: x\r\n\r\n", tag)
						} else {
							body := tag + strings.Repeat(".", (i*r*k)%5000)
							fmt.Fprintf(&req, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
							tag = body
						}
						want = append(want, tag)
					}
					if _, err := io.WriteString(c, req.String()); err != nil {
						t.Error(err)
						return
					}
					for _, w := range want {
						resp, err := tryReadResponse(br, "GET")
						if err != nil {
							t.Errorf("client %d round %d: %v", i, r, err)
							return
						}
						if resp.body != w {
							t.Errorf("client %d round %d: got %.40q, want %.40q", i, r, resp.body, w)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
	})
}

// TestBlockedHandlers checks that handlers blocked in the middle of a
// request hold up only their own connections: with several of them stuck
// (and connections becoming ready at the same moment as theirs), every
// other connection is still served, and the blocked ones finish once
// released.
func TestBlockedHandlers(t *testing.T) {
	const blocked, others = 8, 8
	runPlain(t, func(t *testing.T, m mode) {
		a := newApp()
		e := m.start(t, a, nil)
		var conns []net.Conn
		var readers []*bufio.Reader
		for range blocked {
			c, br := e.dial(t)
			conns, readers = append(conns, c), append(readers, br)
		}
		// All blocked requests in one go, so they land in one batch of
		// readiness events where the model has batches.
		for _, c := range conns {
			write(t, c, "GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		for range blocked {
			select {
			case <-a.started:
			case <-time.After(5 * time.Second):
				t.Fatal("blocking handlers did not all start: a blocked one holds up the others")
			}
		}
		var wg sync.WaitGroup
		for range others {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", e.addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				r, err := tryReadResponse(bufio.NewReader(c), "GET")
				if err != nil || r.body != "Hello, World!" {
					t.Errorf("while handlers are blocked: %v %v", r, err)
				}
			}()
		}
		wg.Wait()
		close(a.release)
		for i, br := range readers {
			if r := readResponse(t, br, "GET"); r.body != "released" {
				t.Errorf("blocked request %d: %q", i, r.body)
			}
		}
	})
}
