package asgi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/server"
)

// rawRequest sends a request as written and returns the whole answer.
func rawRequest(t *testing.T, url, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, req)
	b, _ := io.ReadAll(c)
	return string(b)
}

// scopeOf returns the scope the application saw for a request, from the
// JSON of the "scope" endpoint (bytes are {"bytes": latin-1}).
func scopeOf(t *testing.T, answer string) map[string]any {
	t.Helper()
	// The body may come chunked or with a Content-Length: whether the
	// app's last body message reaches Go with the end of the response or
	// just after it decides, and either is HTTP/1.1.
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer)), nil)
	if err != nil {
		t.Fatalf("%v in %q", err, answer)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%v in %q", err, answer)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v in %q", err, answer)
	}
	return m
}

// TestScope checks each field of the http scope against ASGI 3.0.
func TestScope(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	mounted := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Mount: "/app"}})
	host := strings.TrimPrefix(g.url, "http://")
	port := host[strings.LastIndexByte(host, ':')+1:]
	b := func(s string) any { return map[string]any{"bytes": s} }
	for _, tc := range []struct {
		name  string
		g     *gateway
		req   string
		field string
		want  any
	}{
		{"type", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "type", "http"},
		{"asgi", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "asgi", map[string]any{"version": "3.0", "spec_version": "2.4"}},
		{"http_version 1.1", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "http_version", "1.1"},
		{"http_version 1.0", g, "GET /scope HTTP/1.0\r\n\r\n", "http_version", "1.0"},
		{"method", g, "DELETE /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "method", "DELETE"},
		{"scheme", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "scheme", "http"},
		{"path decoded", g, "GET /caf%C3%A9%20x/scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "path", "/café x/scope"},
		{"path with encoded slash", g, "GET /a%2Fb/scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "path", "/a/b/scope"},
		{"raw_path as sent", g, "GET /caf%C3%A9%20x/scope?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "raw_path", b("/caf%C3%A9%20x/scope")},
		{"query_string", g, "GET /scope?a=1&b=%20 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "query_string", b("a=1&b=%20")},
		{"no query_string", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "query_string", b("")},
		{"root_path empty", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "root_path", ""},
		{"root_path mounted", mounted, "GET /app/x/scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "root_path", "/app"},
		{"path includes root_path", mounted, "GET /app/x/scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "path", "/app/x/scope"},
		{"headers lowercased, duplicates kept, in order", g,
			"GET /scope HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nContent-TYPE: text/x\r\nx-dup: 2\r\nConnection: close\r\n\r\n", "headers",
			[]any{[]any{b("host"), b("h")}, []any{b("x-dup"), b("1")}, []any{b("content-type"), b("text/x")}, []any{b("x-dup"), b("2")}, []any{b("connection"), b("close")}}},
		{"client", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "client.0", "127.0.0.1"},
		{"server", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "server", []any{"127.0.0.1", mustAtof(t, port)}},
		{"state from lifespan", g, "GET /scope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "state", map[string]any{"greeting": "hello from lifespan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scope := scopeOf(t, rawRequest(t, tc.g.url, tc.req))
			var got any = scope
			for _, k := range strings.Split(tc.field, ".") {
				switch v := got.(type) {
				case map[string]any:
					got = v[k]
				case []any:
					i, _ := strconv.Atoi(k)
					got = v[i]
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("scope[%s] = %v; want %v", tc.field, got, tc.want)
			}
		})
	}
	if r := mounted.get(t, "/elsewhere/scope"); r.status != 404 {
		t.Errorf("outside the mount: %d; want 404", r.status)
	}
	if r := mounted.get(t, "/application/scope"); r.status != 404 {
		t.Errorf("a sibling of the mount: %d; want 404", r.status)
	}
}

func mustAtof(t *testing.T, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var rawappSource = func() []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "apps", "rawapp.py"))
	if err != nil {
		panic(err)
	}
	return b
}()

// TestResponses checks the answers of applications that succeed, fail and
// misbehave.
func TestResponses(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	for _, tc := range []struct {
		path    string
		status  int
		body    string
		cut     bool
		logged  string
		notBody string
	}{
		{path: "/", status: 200, body: "hello"},
		{path: "/state", status: 200, body: "hello from lifespan"},
		{path: "/crash", status: 500, body: "Internal Server Error\n", logged: "RuntimeError: boom before start"},
		{path: "/noresponse", status: 500, body: "Internal Server Error\n", logged: "returned without completing its response"},
		{path: "/trailers", status: 500, logged: "does not offer http.response.trailers"},
		{path: "/badheader", status: 500, body: "Internal Server Error\n", logged: "invalid header value"},
		{path: "/badheader?name", status: 500, body: "Internal Server Error\n", logged: "invalid header name"},
		{path: "/badheader", status: 500, body: "Internal Server Error\n", logged: "invalid header value"},
		{path: "/crashmid", status: 200, cut: true, logged: "RuntimeError: boom mid-stream"},
		{path: "/stream?3", status: 200, body: "data: 0\n\ndata: 1\n\ndata: 2\n\n"},
		{path: "/big?3", status: 200, body: strings.Repeat("x", 3<<20)},
		{path: "/pathsend", status: 200, body: string(rawappSource)},
		// A body of wider items than bytes (an array's memoryview):
		// its frames count bytes, not items.
		{path: "/wide", status: 200, body: strings.Repeat("ABCD", 2004)},
		{path: "/wide?big", status: 200, body: strings.Repeat("ABCD", 1<<19)},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := g.get(t, tc.path)
			if tc.cut {
				if r.err == nil {
					t.Fatalf("GET %s = %d %q, complete; want the connection cut", tc.path, r.status, r.body)
				}
			} else if r.err != nil || r.status != tc.status || tc.body != "" && r.body != tc.body {
				t.Fatalf("GET %s = %d %q, %v; want %d %q", tc.path, r.status, trim(r.body), r.err, tc.status, trim(tc.body))
			}
			if tc.logged != "" {
				g.log.waitFor(t, 5*time.Second, tc.logged)
			}
		})
	}
}

// TestStreamingArrivesAsProduced checks that a server-sent event stream
// reaches the client event by event, not at its end.
func TestStreamingArrivesAsProduced(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	start := time.Now()
	resp, err := g.client.Get(g.url + "/stream?50")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: 0\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// 50 events 10 ms apart take 500 ms; the first must not wait for them.
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("first event after %v; want it at once", d)
	}
}

// TestRequestBody checks bodies inline, streamed, chunked and large.
func TestRequestBody(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
	}{
		{"empty", 0, false},
		{"small inline", 1000, false},
		{"64 KiB inline", 64 << 10, false},
		{"just past inline", 64<<10 + 1, false},
		{"8 MiB", 8 << 20, false},
		{"chunked 3 MiB", 3 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(bytes.Repeat([]byte("z"), tc.size))
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: chunked
			}
			req, _ := http.NewRequest("POST", g.url+"/echo", body)
			r := g.do(req)
			n, _, _ := strings.Cut(r.body, " ")
			if r.err != nil || r.status != 200 || n != strconv.Itoa(tc.size) {
				t.Fatalf("POST %d bytes: %d %q, %v", tc.size, r.status, r.body, r.err)
			}
		})
	}
}

// TestBackpressure checks both windows: an application that does not
// read its body holds at most a window of it, and one that sends faster
// than its client reads is made to wait.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	t.Run("upload", func(t *testing.T) {
		req, _ := http.NewRequest("POST", g.url+"/peek", bytes.NewReader(make([]byte, 32<<20)))
		r := g.do(req)
		var held, n int
		fmt.Sscan(r.body, &held, &n)
		if r.status != 200 || n != 32<<20 || held > asgi.Window || held == 0 {
			t.Fatalf("%d %q: the worker held %d bytes unread; want 0 < held <= %d", r.status, r.body, held, asgi.Window)
		}
	})
	t.Run("download", func(t *testing.T) {
		resp, err := g.client.Get(g.url + "/flood")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // the client reads nothing
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != 64<<20 {
			t.Fatalf("read %d, %v", n, err)
		}
		r := g.mustGet(t, "/sent", 200)
		sent, _ := strconv.Atoi(r.body)
		// What left the application while the client slept: the window
		// and the kernel's socket buffers, far from all 64 MiB.
		if sent == 0 || sent > 24<<20 {
			t.Errorf("the application sent %d bytes to a client that read nothing; want it made to wait", sent)
		}
	})
}

// TestClientDisconnect checks that an application streaming to a client
// that left learns of it: its next send raises OSError.
func TestClientDisconnect(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	resp, err := g.client.Get(g.url + "/wait_disconnect")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 10000))
	resp.Body.Close()
	g.client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := g.mustGet(t, "/disconnects", 200)
		if r.body == "send raised OSError" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("disconnects %q; want the application's send to raise", r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTimeout checks that a request without a response start gets 504
// and its task is cancelled, while the worker serves on.
func TestTimeout(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Timeout: 300 * time.Millisecond}})
	pid := g.mustGet(t, "/pid", 200).body
	if r := g.get(t, "/sleep?5"); r.status != 504 {
		t.Fatalf("slow request: %d %q; want 504", r.status, r.body)
	}
	g.log.waitFor(t, 5*time.Second, "cancelled (timeout)")
	if got := g.mustGet(t, "/pid", 200).body; got != pid {
		t.Errorf("worker %s replaced by %s; a timeout must cost only its request", pid, got)
	}
}

// TestBlockedLoop checks that a blocking call in async code is found by
// the heartbeat: the stack is logged and the worker replaced.
func TestBlockedLoop(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Timeout: 500 * time.Millisecond}})
	// The request gets its 504 at the timeout; the heartbeat then finds
	// the loop still blocked.
	if r := g.get(t, "/block?4"); r.status != 504 {
		t.Fatalf("blocked request: %d %q; want 504", r.status, r.body)
	}
	g.log.waitFor(t, 5*time.Second, "event loop blocked", "in block")
	g.log.waitFor(t, 10*time.Second, "asgi worker ready")
	deadline := time.Now().Add(10 * time.Second)
	for g.get(t, "/").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("no worker after the blocked one was killed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWorkerCrashCostsItsRequests checks that a worker that dies costs
// only the requests it held; the other worker's requests complete.
func TestWorkerCrashCostsItsRequests(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Workers: 2}})
	var wg sync.WaitGroup
	var slow result
	wg.Go(func() { slow = g.get(t, "/sleep?1") })
	time.Sleep(200 * time.Millisecond) // the sleeper holds one worker: the next goes to the other
	if r := g.get(t, "/die"); r.status != 502 {
		t.Errorf("the dying request: %d %q; want 502", r.status, r.body)
	}
	wg.Wait()
	if slow.err != nil || slow.status != 200 || slow.body != "slept" {
		t.Errorf("the other worker's request: %d %q, %v; want 200 slept", slow.status, slow.body, slow.err)
	}
	g.log.waitFor(t, 10*time.Second, "starting a replacement")
}

// TestRequestsWaitForReplacement checks that requests arriving while the
// only worker is being replaced wait for the new one instead of failing,
// and that with two workers the live one takes them at once.
func TestRequestsWaitForReplacement(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 2} {
		t.Run(strconv.Itoa(workers)+" workers", func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Workers: workers}})
			if r := g.get(t, "/die"); r.status != 502 {
				t.Fatalf("the dying request: %d %q; want 502", r.status, r.body)
			}
			for range 5 {
				if r := g.get(t, "/"); r.status != 200 {
					t.Fatalf("a request after the crash: %d %q; want 200", r.status, r.body)
				}
			}
		})
	}
}

// TestBodyTooLarge checks that a streamed body past the server's limit
// is answered as the server answers it (413), not as an empty 200.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	g := startGatewayWith(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}}, func(s *server.Server) { s.Limits.MaxBodyBytes = 100 << 10 })
	req, _ := http.NewRequest("POST", g.url+"/echo", io.MultiReader(bytes.NewReader(make([]byte, 300<<10))))
	if r := g.do(req); r.status != 413 {
		t.Fatalf("chunked body past the limit: %d %q, %v; want 413", r.status, r.body, r.err)
	}
}

// TestPathSend checks the http.response.pathsend extension: the file
// whole, with the Content-Length Brick adds so that it can use sendfile.
func TestPathSend(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	r := g.mustGet(t, "/pathsend", 200)
	if r.body != string(rawappSource) || r.header.Get("Content-Length") != strconv.Itoa(len(rawappSource)) {
		t.Errorf("pathsend: %d bytes, Content-Length %q; want the %d bytes of rawapp.py with their length",
			len(r.body), r.header.Get("Content-Length"), len(rawappSource))
	}
}
