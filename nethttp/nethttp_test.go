package nethttp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
)

// These tests serve unchanged net/http handlers through the adapter on a
// real Brick server and check what net/http code relies on.

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testServer struct {
	addr string
	url  string
	logs *logBuffer
}

// serve runs h through nethttp.Handler on a loopback server in both
// connection models, as subtests.
func serve(t *testing.T, h http.Handler, f func(t *testing.T, s *testServer)) {
	t.Helper()
	for _, perConn := range []bool{false, true} {
		name := "epoll"
		if perConn {
			name = "goroutine"
		}
		t.Run(name, func(t *testing.T) {
			logs := new(logBuffer)
			t.Cleanup(func() { // after the server's shutdown
				if t.Failed() {
					t.Logf("server log:\n%s", logs)
				}
			})
			addr := loopback.Serve(t, &server.Server{
				Handler:          nethttp.Handler(h),
				Logger:           slog.New(slog.NewTextHandler(logs, nil)),
				GoroutinePerConn: perConn,
			})
			f(t, &testServer{addr: addr, url: "http://" + addr, logs: logs})
		})
	}
}

// rawConn is a raw client connection.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func (s *testServer) dial(t *testing.T) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{c, bufio.NewReader(c)}
}

// do sends raw and returns the response with its body read.
func (c *rawConn) do(t *testing.T, raw, method string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return c.read(t, method)
}

func (c *rawConn) read(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// get is a GET with Go's client.
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s pattern %q", r.PathValue("id"), r.Pattern)
	})
	mux.HandleFunc("POST /items/{id}/files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.PathValue("id"), r.PathValue("path"), b)
	})
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.FS(fstest.MapFS{
		"a.txt": {Data: []byte("static file contents"), ModTime: time.Unix(1700000000, 0)},
	}))))
	tests := []struct {
		name, raw  string
		status     int
		body       string
		header     string // a response field that must be present, "Name: value"
		method     string
		keepsAlive bool
	}{
		{"root", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, "home", "", "GET", true},
		{"wildcard", "GET /items/42 HTTP/1.1\r\nHost: x\r\n\r\n", 200, `item 42 pattern "GET /items/{id}"`, "", "GET", true},
		{"escaped wildcard", "GET /items/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n", 200, `item a/b pattern "GET /items/{id}"`, "", "GET", true},
		{"rest wildcard with body", "POST /items/7/files/a/b.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\ndata", 200, "7 a/b.txt data", "", "POST", true},
		{"HEAD matches GET", "HEAD /items/1 HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", "Content-Length: 32", "HEAD", true},
		{"method not allowed", "DELETE /items/1 HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Method Not Allowed\n", "Allow: GET, HEAD", "DELETE", true},
		{"not found", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, "404 page not found\n", "X-Content-Type-Options: nosniff", "GET", true},
		{"file server", "GET /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, "static file contents", "Content-Type: text/plain; charset=utf-8", "GET", true},
		{"file server range", "GET /static/a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=7-10\r\n\r\n", 206, "file", "Content-Range: bytes 7-10/20", "GET", true},
		{"file server not modified", "GET /static/a.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: " +
			time.Unix(1700000000, 0).UTC().Format(http.TimeFormat) + "\r\n\r\n", 304, "", "", "GET", true},
	}
	serve(t, mux, func(t *testing.T, s *testServer) {
		c := s.dial(t)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := c.do(t, tc.raw, tc.method)
				if resp.StatusCode != tc.status || body != tc.body {
					t.Fatalf("%d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
				}
				if tc.header != "" {
					k, v, _ := strings.Cut(tc.header, ": ")
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				if resp.Close {
					t.Error("connection not kept alive")
				}
			})
		}
	})
}

func TestChi(t *testing.T) {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Get("/users/{userID}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s, request id set: %v", chi.URLParam(r, "userID"), middleware.GetReqID(r.Context()) != "")
	})
	r.Route("/api", func(r chi.Router) {
		r.Use(middleware.SetHeader("X-API", "v1"))
		r.Post("/echo", func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })
		r.Get("/stream", func(w http.ResponseWriter, r *http.Request) {
			// Flushing through chi's wrapped writer (middleware.Logger
			// style wrappers must not hide http.Flusher).
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			io.WriteString(ww, "a")
			ww.(http.Flusher).Flush()
			io.WriteString(ww, "b")
		})
	})
	serve(t, r, func(t *testing.T, s *testServer) {
		if resp, body := get(t, s.url+"/users/ada"); resp.StatusCode != 200 || body != "user ada, request id set: true" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
		resp, err := http.Post(s.url+"/api/echo", "text/plain", strings.NewReader("chi body"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "chi body" || resp.Header.Get("X-API") != "v1" {
			t.Errorf("%d %q %v", resp.StatusCode, b, resp.Header)
		}
		if resp, body := get(t, s.url+"/api/stream"); body != "ab" || len(resp.TransferEncoding) == 0 {
			t.Errorf("stream: %q %v", body, resp.TransferEncoding)
		}
		if resp, _ := get(t, s.url+"/api/echo"); resp.StatusCode != 405 {
			t.Errorf("GET on a POST route: %d", resp.StatusCode)
		}
		if resp, _ := get(t, s.url+"/missing"); resp.StatusCode != 404 {
			t.Errorf("missing: %d", resp.StatusCode)
		}
	})
}

// TestRequest checks the *http.Request a handler gets.
func TestRequest(t *testing.T) {
	type seen struct {
		method, host, remote, uri, path, rawQuery, proto string
		header                                           http.Header
		contentLength                                    int64
		te                                               []string
		body                                             string
		close                                            bool
		local                                            string
	}
	got := make(chan seen, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		s := seen{r.Method, r.Host, r.RemoteAddr, r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Proto,
			r.Header, r.ContentLength, r.TransferEncoding, string(b), r.Close, ""}
		if local != nil {
			s.local = local.String()
		}
		got <- s
	})
	serve(t, h, func(t *testing.T, s *testServer) {
		t.Run("head fields", func(t *testing.T) {
			c := s.dial(t)
			c.do(t, "PUT /a%20b/c?x=1&y=%2F HTTP/1.1\r\nHost: example.com:8080\r\nx-custom-header: one\r\n"+
				"X-CUSTOM-HEADER: two\r\ncontent-type: text/plain\r\nContent-Length: 5\r\n\r\nhello", "PUT")
			r := <-got
			if r.method != "PUT" || r.host != "example.com:8080" || r.uri != "/a%20b/c?x=1&y=%2F" ||
				r.path != "/a b/c" || r.rawQuery != "x=1&y=%2F" || r.proto != "HTTP/1.1" ||
				r.contentLength != 5 || r.body != "hello" || r.close {
				t.Errorf("%+v", r)
			}
			if r.remote != c.LocalAddr().String() {
				t.Errorf("RemoteAddr %q, want %q", r.remote, c.LocalAddr())
			}
			if r.local != s.addr {
				t.Errorf("LocalAddrContextKey %q, want %q", r.local, s.addr)
			}
			if v := r.header["X-Custom-Header"]; len(v) != 2 || v[0] != "one" || v[1] != "two" {
				t.Errorf("X-Custom-Header %q", v)
			}
			if v := r.header["Content-Type"]; len(v) != 1 || v[0] != "text/plain" {
				t.Errorf("Content-Type %q", v)
			}
			if _, ok := r.header["Host"]; ok {
				t.Error("Host left in the header map")
			}
		})
		t.Run("chunked body", func(t *testing.T) {
			c := s.dial(t)
			c.do(t, "POST /?q HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "POST")
			r := <-got
			if r.body != "abcde" || r.contentLength != -1 || len(r.te) != 1 || r.te[0] != "chunked" {
				t.Errorf("%+v", r)
			}
		})
		t.Run("HTTP/1.0", func(t *testing.T) {
			c := s.dial(t)
			c.do(t, "GET http://abs.example/p?q=1 HTTP/1.0\r\n\r\n", "GET")
			r := <-got
			if r.proto != "HTTP/1.0" || !r.close || r.host != "abs.example" || r.path != "/p" || r.rawQuery != "q=1" {
				t.Errorf("%+v", r)
			}
		})
	})
}

// TestResponse checks what reaches the client from http.ResponseWriter.
func TestResponse(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/multi", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header()["lower-case"] = []string{"kept as is"}
		io.WriteString(w, "x")
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999") // http.Error drops it
		http.Error(w, "teapot trouble", http.StatusTeapot)
	})
	mux.HandleFunc("/sniff-html", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<!DOCTYPE html><html><body>hi") })
	mux.HandleFunc("/sniff-png", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("\x89PNG\r\n\x1a\n0000")) })
	mux.HandleFunc("/typed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "<html>")
	})
	mux.HandleFunc("/no-sniff", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		io.WriteString(w, "<html>")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/created", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/x")
		w.WriteHeader(201)
		w.Header().Set("X-Late", "ignored") // after WriteHeader: not sent
	})
	mux.HandleFunc("/no-content", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
		if _, err := io.WriteString(w, "body"); err != http.ErrBodyNotAllowed {
			panic(fmt.Sprintf("write on 204: %v, want http.ErrBodyNotAllowed", err))
		}
	})
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hel")
		if n, err := io.WriteString(w, "lo, world"); n != 2 || err != http.ErrContentLength {
			panic(fmt.Sprintf("write past Content-Length: %d, %v; want 2, http.ErrContentLength", n, err))
		}
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("/early-hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(103)
		io.WriteString(w, "final")
	})
	type want struct {
		status int
		body   string
		header map[string][]string // nil value: must be absent
	}
	tests := []struct {
		path string
		want want
	}{
		{"/multi", want{200, "x", map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "Lower-Case": {"kept as is"}}}},
		{"/error", want{418, "teapot trouble\n", map[string][]string{
			"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}, "Content-Length": {"15"}}}},
		{"/sniff-html", want{200, "<!DOCTYPE html><html><body>hi", map[string][]string{"Content-Type": {"text/html; charset=utf-8"}}}},
		{"/sniff-png", want{200, "\x89PNG\r\n\x1a\n0000", map[string][]string{"Content-Type": {"image/png"}}}},
		{"/typed", want{200, "<html>", map[string][]string{"Content-Type": {"application/json"}}}},
		{"/no-sniff", want{200, "<html>", map[string][]string{"Content-Type": nil}}},
		{"/empty", want{200, "", map[string][]string{"Content-Length": {"0"}, "Content-Type": nil}}},
		{"/created", want{201, "", map[string][]string{"Location": {"/x"}, "Content-Length": {"0"}, "X-Late": nil}}},
		{"/no-content", want{204, "", map[string][]string{"Content-Length": nil}}},
		{"/declared", want{200, "hello", map[string][]string{"Content-Length": {"5"}}}},
		{"/early-hints", want{200, "final", map[string][]string{"Link": {"</style.css>; rel=preload"}}}},
	}
	serve(t, mux, func(t *testing.T, s *testServer) {
		c := s.dial(t)
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				resp, body := c.do(t, "GET "+tc.path+" HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
				if tc.path == "/early-hints" {
					if resp.StatusCode != 103 || resp.Header.Get("Link") == "" {
						t.Fatalf("first response %d %v", resp.StatusCode, resp.Header)
					}
					resp, body = c.read(t, "GET")
				}
				if resp.StatusCode != tc.want.status || body != tc.want.body {
					t.Fatalf("%d %q, want %d %q", resp.StatusCode, body, tc.want.status, tc.want.body)
				}
				for k, v := range tc.want.header {
					got := resp.Header.Values(k)
					if fmt.Sprint(got) != fmt.Sprint(v) || v == nil && len(got) > 0 {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				if resp.Close {
					t.Error("closed")
				}
			})
		}
		t.Run("Connection: close from the handler", func(t *testing.T) {
			c := s.dial(t)
			resp, body := c.do(t, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
			if resp.StatusCode != 200 || body != "bye" || !resp.Close {
				t.Fatalf("%d %q close=%v", resp.StatusCode, body, resp.Close)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.br.ReadByte(); err != io.EOF {
				t.Fatalf("connection not closed: %v", err)
			}
		})
	})
}

// TestFlush checks http.ResponseController and http.Flusher: the flushed
// part reaches the client while the handler still runs.
func TestFlush(t *testing.T) {
	release := make(chan struct{}, 1) // one value per request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part one;")
		if err := http.NewResponseController(w).Flush(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		io.WriteString(w, "part two")
	})
	serve(t, h, func(t *testing.T, s *testServer) {
		resp, err := http.Get(s.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		first := make([]byte, len("part one;"))
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "part one;" {
			t.Fatalf("%q %v", first, err)
		}
		release <- struct{}{}
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "part two" {
			t.Fatalf("%q %v", rest, err)
		}
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("Transfer-Encoding %v", resp.TransferEncoding)
		}
	})
}

// TestPanic checks panics in net/http handlers: http.ErrAbortHandler closes
// the connection without a log line, any other panic logs its stack.
func TestPanic(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/abort-after-flush", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("net/http handler bug") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fine") })
	serve(t, mux, func(t *testing.T, s *testServer) {
		for _, path := range []string{"/abort", "/abort-after-flush"} {
			c := s.dial(t)
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(c.br, &http.Request{Method: "GET"})
			if err == nil {
				_, err = io.ReadAll(resp.Body)
			}
			if err == nil {
				t.Errorf("%s: a complete response %d", path, resp.StatusCode)
			}
		}
		if logs := s.logs.String(); logs != "" {
			t.Errorf("abort logged:\n%s", logs)
		}
		resp, _ := get(t, s.url+"/panic")
		if resp.StatusCode != 500 {
			t.Errorf("panic: %d", resp.StatusCode)
		}
		if logs := s.logs.String(); !strings.Contains(logs, "net/http handler bug") || !strings.Contains(logs, "nethttp_test.go") {
			t.Errorf("panic not logged with its stack:\n%s", logs)
		}
		if _, body := get(t, s.url+"/"); body != "fine" {
			t.Errorf("after the panics: %q", body)
		}
	})
}

// TestStatusRange: every three-digit status code goes through as net/http
// sends it (RFC 9112 §4 allows any); outside 100–999 WriteHeader panics,
// as net/http's does, and the server answers 500.
func TestStatusRange(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
		io.WriteString(w, "body")
	})
	tests := []struct {
		code, want int
		body       string
	}{
		{99, 500, "internal server error\n"},
		{100, 200, "body"}, // informational, then the implied 200
		{199, 200, "body"},
		{200, 200, "body"},
		{599, 599, "body"},
		{600, 600, "body"},
		{742, 742, "body"},
		{999, 999, "body"},
		{1000, 500, "internal server error\n"},
	}
	serve(t, h, func(t *testing.T, s *testServer) {
		for _, tc := range tests {
			t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
				c := s.dial(t)
				resp, body := c.do(t, "GET /?code="+strconv.Itoa(tc.code)+" HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
				for resp.StatusCode < 200 {
					resp, body = c.read(t, "GET")
				}
				if resp.StatusCode != tc.want || body != tc.body {
					t.Errorf("status %d body %q, want %d %q", resp.StatusCode, body, tc.want, tc.body)
				}
			})
		}
	})
}

// TestContext checks that the request context ends when the handler
// returns, as net/http's does.
func TestContext(t *testing.T) {
	ctxs := make(chan context.Context, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Err() != nil {
			http.Error(w, "context already done", 500)
			return
		}
		ctxs <- r.Context()
	})
	serve(t, h, func(t *testing.T, s *testServer) {
		if resp, _ := get(t, s.url+"/"); resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
		select {
		case <-(<-ctxs).Done():
		case <-time.After(5 * time.Second):
			t.Fatal("context not cancelled after the handler returned")
		}
	})
}

// TestClient runs Go's http.Client against the adapter: keep-alive, form
// posts and many concurrent requests.
func TestClient(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		fmt.Fprintf(w, "%s=%s", r.PostFormValue("name"), r.FormValue("q"))
	})
	mux.HandleFunc("GET /n/{n}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.PathValue("n")) })
	serve(t, mux, func(t *testing.T, s *testServer) {
		resp, err := http.PostForm(s.url+"/form?q=query", url.Values{"name": {"brick"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "brick=query" {
			t.Errorf("form: %q", b)
		}
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Get(s.url + "/n/" + strconv.Itoa(i))
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != strconv.Itoa(i) {
					t.Errorf("request %d: %q", i, b)
				}
			}()
		}
		wg.Wait()
	})
}

// TestDifferential sends the same raw requests to net/http's own server and
// to Brick with the adapter, serving the same handler, and compares what
// the handler saw and what the client got back.
func TestDifferential(t *testing.T) {
	describe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var keys []string
		for k := range r.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var hdr strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&hdr, "%s=%q ", k, r.Header[k])
		}
		fmt.Fprintf(w, "method=%s uri=%s path=%q rawpath=%q rawquery=%q host=%q urlhost=%q scheme=%q proto=%s/%d.%d\n"+
			"cl=%d te=%q close=%v body=%q err=%v trailer=%q\nheader: %s\n",
			r.Method, r.RequestURI, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.URL.Host, r.URL.Scheme,
			r.Proto, r.ProtoMajor, r.ProtoMinor, r.ContentLength, r.TransferEncoding, r.Close, b, err, r.Trailer, hdr.String())
	})
	mux := http.NewServeMux()
	mux.Handle("/", describe)
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) })
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "a=1; Path=/")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Multi", "x, y")
		io.WriteString(w, "<html><body>sniffed</body></html>")
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "one ")
		w.(http.Flusher).Flush()
		io.WriteString(w, "two")
	})
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		io.WriteString(w, "abc")
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusForbidden) })
	mux.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.FS(fstest.MapFS{
		"f.txt": {Data: []byte("0123456789"), ModTime: time.Unix(1700000000, 0)},
	}))))
	requests := []struct{ name, raw string }{
		{"response headers", "GET /headers HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"flush", "GET /flush HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"flush HTTP/1.0", "GET /flush HTTP/1.0\r\n\r\n"},
		{"declared length", "GET /declared HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"http.Error", "GET /error HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"file", "GET /files/f.txt HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"file range", "GET /files/f.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=2-4\r\n\r\n"},
		{"file unsatisfiable range", "GET /files/f.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=50-60\r\n\r\n"},
		{"file HEAD", "HEAD /files/f.txt HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"file directory redirect", "GET /files HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"simple", "GET /a/b?c=d&e HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n"},
		{"escaped path", "GET /a%2Fb/%7Euser?q=%20 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"absolute form", "GET http://other.example:81/p?q HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"HTTP/1.0", "GET /x HTTP/1.0\r\nHost: h\r\n\r\n"},
		{"HTTP/1.0 keep-alive", "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
		{"Connection close", "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"},
		{"repeated fields", "GET / HTTP/1.1\r\nHost: h\r\nx-a: 1\r\nX-A: 2\r\naccept-encoding: gzip\r\ncookie: a=1\r\nCookie: b=2\r\n\r\n"},
		{"Content-Length body", "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"},
		// Not compared: request trailers (package wire checks and drops
		// them; net/http fills Request.Trailer), and Expect: 100-continue
		// with the body already sent (Brick sends no 100 Continue when it
		// need not wait for the body; net/http always does).
		{"chunked body", "POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"OPTIONS * with a body", "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"},
		{"zero Content-Length", "POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"HEAD", "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"redirect", "GET /redirect HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"204", "GET /status/204 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"304", "GET /status/304 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"500", "GET /status/500 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"199", "GET /status/199 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"599", "GET /status/599 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"600", "GET /status/600 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"999", "GET /status/999 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"unknown method", "PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n"},
	}
	// net/http's answers, from a server of its own.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	std := &http.Server{Handler: mux}
	go std.Serve(ln)
	defer std.Close()
	exchange := func(t *testing.T, addr, raw string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, raw)
		method, _, _ := strings.Cut(raw, " ")
		br := bufio.NewReader(c)
		var out strings.Builder
		for {
			resp, err := http.ReadResponse(br, &http.Request{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Header.Del("Date")
			var keys []string
			for k := range resp.Header {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			fmt.Fprintf(&out, "%d close=%v\n", resp.StatusCode, resp.Close)
			for _, k := range keys {
				fmt.Fprintf(&out, "%s: %q\n", k, resp.Header[k])
			}
			fmt.Fprintf(&out, "\n%s", b)
			if resp.StatusCode >= 200 {
				return out.String()
			}
		}
	}
	want := map[string]string{}
	for _, rq := range requests {
		want[rq.name] = exchange(t, ln.Addr().String(), rq.raw)
	}
	serve(t, mux, func(t *testing.T, s *testServer) {
		for _, rq := range requests {
			t.Run(rq.name, func(t *testing.T) {
				if got := exchange(t, s.addr, rq.raw); got != want[rq.name] {
					t.Errorf("Brick:\n%s\nnet/http:\n%s", got, want[rq.name])
				}
			})
		}
	})
}
