package wsgi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// closeLog is the file rawapp.py appends the names of closed iterables to.
type closeLog string

func (c closeLog) waitFor(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(string(c))
		if slices.Contains(strings.Split(string(b), "\n"), name) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("close() of %q was not called; calls: %q", name, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// environOf asks rawapp for the environ it got.
func environOf(t *testing.T, g *gateway, req *http.Request) map[string]string {
	t.Helper()
	r := g.do(req)
	if r.err != nil || r.status != 200 {
		t.Fatalf("%s %s = %d %q, %v", req.Method, req.URL, r.status, trim(r.body), r.err)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(r.body), &env); err != nil {
		t.Fatalf("%s %s: %v in %q", req.Method, req.URL, err, trim(r.body))
	}
	return env
}

// TestRawApp holds a bare WSGI application to PEP 3333's rules, through
// one two-worker pool.
func TestRawApp(t *testing.T) {
	t.Parallel()
	closes := closeLog(filepath.Join(t.TempDir(), "closes"))
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Workers: 2, Env: []string{"RAWAPP_CLOSE_LOG=" + string(closes)}}})

	t.Run("write callable", func(t *testing.T) {
		if r := g.mustGet(t, "/write", 200); r.body != "one,two,three" {
			t.Errorf("GET /write = %q, want the written bytes, then the iterable's", r.body)
		}
	})

	t.Run("close", func(t *testing.T) {
		// After a whole response.
		if r := g.mustGet(t, "/close?mode=normal&name=normal", 200); r.body != "abc" {
			t.Errorf("body %q", r.body)
		}
		closes.waitFor(t, "normal")

		// When the client goes away mid-stream: the worker stops
		// iterating, calls close() and serves on.
		before := waitPIDs(t, g.pool, 2, nil)
		c, br := g.rawConn(t)
		fmt.Fprintf(c, "GET /close?mode=slow&name=gone HTTP/1.1\r\nHost: x\r\n\r\n")
		if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("status line %q, %v", line, err)
		}
		c.Close()
		closes.waitFor(t, "gone")
		for range 4 {
			g.mustGet(t, "/hello", 200)
		}
		if after := wsgi.WorkerPIDs(g.pool); !slices.Equal(before, after) {
			t.Errorf("workers %v before a client left, %v after: a cancelled response must not cost a worker", before, after)
		}

		// When the application raises mid-iteration: the client's
		// connection is cut, close() is still called.
		r := g.get(t, "/close?mode=raise&name=raised")
		if r.err == nil {
			t.Errorf("GET /close?mode=raise = %d %q, a clean response; want the connection cut", r.status, r.body)
		}
		closes.waitFor(t, "raised")
		g.log.waitFor(t, 5*time.Second, "boom mid-iteration")
		g.mustGet(t, "/hello", 200)
	})

	t.Run("exc_info", func(t *testing.T) {
		// Before the head is sent, start_response(..., exc_info) replaces it.
		r := g.get(t, "/excinfo/before")
		if r.err != nil || r.status != 503 || r.body != "replaced" || r.header.Get("X-First") != "" {
			t.Errorf("GET /excinfo/before = %d %q X-First %q, %v; want 503 replaced without the first head", r.status, r.body, r.header.Get("X-First"), r.err)
		}
		// After, it re-raises and the client must not take the body for whole.
		r = g.get(t, "/excinfo/after")
		if r.err == nil || r.status != 200 || r.body != "first" {
			t.Errorf("GET /excinfo/after = %d %q, %v; want 200, \"first\" and a cut connection", r.status, r.body, r.err)
		}
		g.log.waitFor(t, 5*time.Second, "too late")
		g.mustGet(t, "/hello", 200)
	})

	t.Run("file_wrapper", func(t *testing.T) {
		dir := t.TempDir()
		data := make([]byte, 3<<20+17)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		full := filepath.Join(dir, "data.bin")
		empty := filepath.Join(dir, "empty")
		os.WriteFile(full, data, 0o644)
		os.WriteFile(empty, nil, 0o644)
		for _, tc := range []struct {
			name, path string
			want       []byte
		}{
			{"regular file", "/file?path=" + full, data},
			{"from an offset", "/file?seek=1000&path=" + full, data[1000:]},
			{"empty file", "/file?path=" + empty, nil},
			{"not a file", "/file", bigBody},
		} {
			r := g.get(t, tc.path)
			if r.err != nil || r.status != 200 || r.body != string(tc.want) {
				t.Errorf("%s: GET %s = %d, %d bytes, %v; want the %d bytes", tc.name, tc.path, r.status, len(r.body), r.err, len(tc.want))
			}
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		// Each HEAD answer is followed by a GET on the same connection: a
		// body sent after a HEAD would be read as the next response.
		c, br := g.rawConn(t)
		for _, path := range []string{"/hello", "/write", "/stream", "/big"} {
			fmt.Fprintf(c, "HEAD %s HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n", path)
			resp, body := readResponse(t, br, "HEAD")
			if resp.StatusCode != 200 || body != "" {
				t.Errorf("HEAD %s = %d %q", path, resp.StatusCode, body)
			}
			if path == "/hello" && resp.ContentLength != 13 {
				t.Errorf("HEAD /hello: Content-Length %d, want the app's 13", resp.ContentLength)
			}
			if resp, body := readResponse(t, br, "GET"); resp.StatusCode != 200 || body != "Hello, World!" {
				t.Errorf("GET after HEAD %s = %d %q", path, resp.StatusCode, body)
			}
		}
	})

	t.Run("no body allowed", func(t *testing.T) {
		c, br := g.rawConn(t)
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/nobody?s=304+Not+Modified", 304},
			{"/nobody?s=304+Not+Modified&stream=1", 304},
			{"/nobody?s=204+No+Content", 204},
			{"/nobody?s=204+No+Content&stream=1", 204},
		} {
			path := tc.path
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n", path)
			resp, body := readResponse(t, br, "GET")
			if resp.StatusCode != tc.status || body != "" || resp.Header.Get("ETag") != `"x"` {
				t.Errorf("GET %s = %d %q %v; want %d without a body", path, resp.StatusCode, body, resp.Header, tc.status)
			}
			if resp, body := readResponse(t, br, "GET"); resp.StatusCode != 200 || body != "Hello, World!" {
				t.Errorf("GET after %s = %d %q", path, resp.StatusCode, body)
			}
		}
	})

	t.Run("whitespace around header values", func(t *testing.T) {
		// RFC 9110 §5.5: the spaces and tabs around a value are not part
		// of it. Read raw: net/http's client would trim them itself.
		c, br := g.rawConn(t)
		fmt.Fprintf(c, "GET /ows HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		raw, err := io.ReadAll(br)
		if err != nil {
			t.Fatal(err)
		}
		head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
		for _, want := range []string{"\r\nSet-Cookie: a=b\r\n", "\r\nX-Tab: x y\r\n", "\r\nContent-Length: 2\r\n"} {
			if !strings.Contains(head+"\r\n", want) {
				t.Errorf("head lacks %q:\n%s", want, head)
			}
		}
		if body != "ok" {
			t.Errorf("body %q, want ok", body)
		}
	})

	t.Run("bad headers", func(t *testing.T) {
		// Each is the application's error, raised by start_response: a
		// 500, and the worker serves on.
		before := waitPIDs(t, g.pool, 2, nil)
		for _, path := range []string{
			"/badheader?kind=crlf", "/badheader?kind=lf", "/badheader?kind=nul", "/badheader?kind=latin1",
			"/badheader?kind=name", "/badheader?kind=connection", "/badheader?kind=transfer-encoding",
			"/badheader?kind=keep-alive", "/badheader?kind=upgrade", "/badheader?kind=ctl", "/badheader?kind=del",
			"/badheader?kind=ctl-name", "/badheader?kind=empty-name", "/badheader?kind=bad-length",
			"/badheader?kind=negative-length", "/badheader?kind=two-lengths",
			"/status?s=199+Early", "/status?s=600+Late", "/status?s=099+Low", "/status?s=2%C2%B20+Superscript",
			"/status?s=200", "/status?s=200+OK%01", "/status?s=20+OK",
			"/status?s=200+OK%0D%0AInjected:+yes", "/status?s=200+OK%0AInjected:+yes", "/status?s=200+OK%7F",
		} {
			r := g.get(t, path)
			if r.err != nil || r.status != 500 || strings.Contains(r.body, "should not") || r.header.Get("Injected") != "" || r.header.Get("X-Bad") != "" {
				t.Errorf("GET %s = %d %q %v, %v; want a clean 500", path, r.status, r.body, r.header, r.err)
			}
		}
		if after := wsgi.WorkerPIDs(g.pool); !slices.Equal(before, after) {
			t.Errorf("workers %v before, %v after: an application's bad header must not cost a worker", before, after)
		}
		g.log.waitFor(t, 5*time.Second, "hop-by-hop header", "latin-1", "control character", "not a token", "status must look like", "Content-Length")
		g.mustGet(t, "/hello", 200)
	})

	t.Run("content-length", func(t *testing.T) {
		for _, tc := range []struct {
			query   string
			want    string
			wantCut bool
		}{
			{"declared=5&body=5", "xxxxx", false},
			{"declared=100000&body=100000&stream=1", strings.Repeat("x", 100000), false},
			{"declared=0&body=0", "", false},
			{"declared=3&body=5", "xxx", false},           // the rest is dropped
			{"declared=10&body=5", "xxxxx", true},         // short: the client must see the cut
			{"declared=10&body=4&stream=1", "xxxx", true}, // short, streamed
		} {
			r := g.get(t, "/cl?"+tc.query)
			if tc.wantCut {
				if r.err == nil {
					t.Errorf("GET /cl?%s = %d %q, clean; want the connection cut", tc.query, r.status, r.body)
				}
				continue
			}
			if r.err != nil || r.status != 200 || r.body != tc.want {
				t.Errorf("GET /cl?%s = %d %q, %v; want %q", tc.query, r.status, trim(r.body), r.err, trim(tc.want))
			}
			if te := r.header.Get("Transfer-Encoding"); te != "" {
				t.Errorf("GET /cl?%s: Transfer-Encoding %q beside the app's Content-Length", tc.query, te)
			}
		}
		g.log.waitFor(t, 5*time.Second, "more than its Content-Length")
		g.mustGet(t, "/hello", 200)
	})

	t.Run("wsgi.input", func(t *testing.T) {
		// Lines of 0 to 250 bytes, the last without a newline; small bodies
		// travel inline, large ones as a spooled file.
		rng := rand.New(rand.NewPCG(5, 6))
		makeBody := func(n int) []byte {
			var b bytes.Buffer
			for b.Len() < n {
				b.Write(bytes.Repeat([]byte{'a' + byte(rng.IntN(26))}, rng.IntN(251)))
				b.WriteByte('\n')
			}
			b.WriteString("tail")
			return b.Bytes()
		}
		bodies := map[string][]byte{"inline": makeBody(5000), "spooled": makeBody(300 << 10), "empty": nil}
		for _, how := range []string{"read", "readall", "readline", "readlines", "iter", "mixed"} {
			for _, kind := range []string{"inline", "spooled", "empty"} {
				for _, chunked := range []bool{false, true} {
					body := bodies[kind]
					r := g.post(t, "/input?how="+how, body, chunked)
					var got struct {
						Len           int     `json:"len"`
						Sha           string  `json:"sha"`
						Longest       int     `json:"longest"`
						After         int     `json:"after"`
						ContentLength *string `json:"content_length"`
					}
					if r.err != nil || r.status != 200 || json.Unmarshal([]byte(r.body), &got) != nil {
						t.Errorf("%s %s chunked=%v: %d %q, %v", how, kind, chunked, r.status, trim(r.body), r.err)
						continue
					}
					if got.Len != len(body) || got.Sha != fmt.Sprintf("%x", sha256.Sum256(body)) || got.After != 0 {
						t.Errorf("%s %s chunked=%v: read %d bytes (sha %.8s), then %d more; want %d (sha %.8x), then none",
							how, kind, chunked, got.Len, got.Sha, got.After, len(body), sha256.Sum256(body))
					}
					if how == "readline" && got.Longest > 100 {
						t.Errorf("%s %s chunked=%v: readline(100) returned %d bytes", how, kind, chunked, got.Longest)
					}
					if got.ContentLength == nil || *got.ContentLength != fmt.Sprint(len(body)) {
						t.Errorf("%s %s chunked=%v: CONTENT_LENGTH %v, want %d", how, kind, chunked, got.ContentLength, len(body))
					}
				}
			}
		}
	})

	t.Run("environ", func(t *testing.T) {
		req, _ := http.NewRequest("POST", g.url+"/env", strings.NewReader("hello"))
		req.ContentLength = -1
		req.Body = io.NopCloser(strings.NewReader("hello"))
		env := environOf(t, g, req)
		if env["CONTENT_LENGTH"] != "5" || env["HTTP_TRANSFER_ENCODING"] != "" {
			t.Errorf("chunked body: CONTENT_LENGTH %q HTTP_TRANSFER_ENCODING %q; want 5 and none", env["CONTENT_LENGTH"], env["HTTP_TRANSFER_ENCODING"])
		}

		req, _ = http.NewRequest("GET", g.url+"/env/x?a=1", nil)
		req.Header.Set("Proxy", "http://evil.example:3128")
		req.Header.Set("Script-Name", "/evil")
		req.Header.Set("Path-Info", "/evil")
		req.Header.Set("X-Custom", "yes")
		req.Header.Set("X-Latin", "caf\xe9") // obs-text: latin-1 in the environ
		env = environOf(t, g, req)
		_, port, _ := strings.Cut(g.addr, ":")
		for k, want := range map[string]string{
			"SCRIPT_NAME": "", "PATH_INFO": "/env/x", "QUERY_STRING": "a=1",
			"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
			"HTTP_X_CUSTOM": "yes", "HTTP_X_LATIN": "café", "REMOTE_ADDR": "127.0.0.1",
			"SERVER_NAME": "127.0.0.1", "SERVER_PORT": port, "HTTP_HOST": g.addr,
		} {
			if env[k] != want {
				t.Errorf("environ[%s] = %q, want %q", k, env[k], want)
			}
		}
		if v, ok := env["HTTP_PROXY"]; ok {
			t.Errorf("a Proxy: header became HTTP_PROXY=%q (httpoxy)", v)
		}
	})

	t.Run("start_response", func(t *testing.T) {
		if r := g.mustGet(t, "/lazy", 200); r.body != "lazy" || r.header.Get("X-Lazy") != "yes" {
			t.Errorf("start_response called from the iterable: %q X-Lazy %q", r.body, r.header.Get("X-Lazy"))
		}
		if r := g.get(t, "/twice"); r.err != nil || r.status != 500 {
			t.Errorf("start_response twice without exc_info = %d %q, %v; want 500", r.status, r.body, r.err)
		}
	})

	t.Run("crash mid-stream", func(t *testing.T) {
		before := waitPIDs(t, g.pool, 2, nil)
		r := g.get(t, "/crashstream")
		if r.err == nil || r.status != 200 || r.body != "first" {
			t.Errorf("GET /crashstream = %d %q, %v; want 200, \"first\" and a cut connection", r.status, r.body, r.err)
		}
		for range 4 {
			g.mustGet(t, "/hello", 200)
		}
		waitPIDs(t, g.pool, 2, before)
		noZombies(t)
	})

	t.Run("descriptors", func(t *testing.T) {
		// Bodies passed as descriptors, read or not, must be closed in
		// the worker; the keep-alive connection must stay in step.
		pids := waitPIDs(t, g.pool, 2, nil)
		fds := func() (n int) {
			for _, pid := range pids {
				ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
				if err != nil {
					t.Skipf("cannot count a worker's descriptors: %v", err)
				}
				n += len(ents)
			}
			return n
		}
		before := fds()
		body := bytes.Repeat([]byte("z"), 300<<10)
		for i := range 20 {
			path := "/hello" // the body is never read
			if i%2 == 1 {
				path = "/input?how=readall"
			}
			if r := g.post(t, path, body, i%4 > 1); r.err != nil || r.status != 200 {
				t.Fatalf("POST %s: %d %q, %v", path, r.status, trim(r.body), r.err)
			}
		}
		if after := fds(); after > before+2 {
			t.Errorf("the workers held %d descriptors before 20 spooled bodies, %d after", before, after)
		}
		if after := wsgi.WorkerPIDs(g.pool); !slices.Equal(pids, after) {
			t.Errorf("workers %v before, %v after", pids, after)
		}
	})

	t.Run("error", func(t *testing.T) {
		if r := g.get(t, "/error"); r.err != nil || r.status != 500 {
			t.Errorf("GET /error = %d %q, %v; want 500", r.status, r.body, r.err)
		}
		g.log.waitFor(t, 5*time.Second, "RuntimeError: boom from rawapp", "GET /error")
		g.mustGet(t, "/hello", 200)
	})
}

// TestMount serves an application under a URL prefix.
func TestMount(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Mount: "/app"}})
	for _, tc := range []struct {
		path, script, pathInfo string
	}{
		{"/app/x", "/app", "/x"},
		{"/app/", "/app", "/"},
		{"/app", "/app", ""},
		{"/app/a%20b?q=1", "/app", "/a b"},
	} {
		req, _ := http.NewRequest("GET", g.url+tc.path, nil)
		req.Header.Set("Script-Name", "/evil")
		env := environOf(t, g, req)
		if env["SCRIPT_NAME"] != tc.script || env["PATH_INFO"] != tc.pathInfo {
			t.Errorf("GET %s: SCRIPT_NAME %q PATH_INFO %q, want %q %q", tc.path, env["SCRIPT_NAME"], env["PATH_INFO"], tc.script, tc.pathInfo)
		}
	}
	for _, path := range []string{"/other", "/", "/application", "/APP/x"} {
		if r := g.get(t, path); r.err != nil || r.status != 404 {
			t.Errorf("GET %s outside the mount = %d %q, %v; want 404", path, r.status, trim(r.body), r.err)
		}
	}
}

// TestValidator runs requests through wsgiref.validate.validator, which
// raises AssertionError (a 500 and a traceback) or warns on anything the
// gateway does against PEP 3333.
func TestValidator(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:validated"}})
	big := bytes.Repeat([]byte("validate"), 40<<10)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		chunked            bool
		want               string
	}{
		{"GET", "GET", "/a", nil, false, "GET /a? 0 "},
		{"query", "GET", "/a/b?x=1&y=%20", nil, false, "GET /a/b?x=1&y=%20 0 "},
		{"HEAD", "HEAD", "/h", nil, false, ""},
		{"POST", "POST", "/p", []byte("hello"), false, "POST /p? 5 "},
		{"empty POST", "POST", "/p", []byte{}, false, "POST /p? 0 "},
		{"chunked", "POST", "/p", []byte("hello"), true, "POST /p? 5 "},
		{"spooled", "PUT", "/p", big, false, fmt.Sprintf("PUT /p? %d ", len(big))},
		{"spooled chunked", "POST", "/p", big, true, fmt.Sprintf("POST /p? %d ", len(big))},
		{"streamed answer", "GET", "/stream", nil, false, "GET /stream? 0 "},
		{"DELETE", "DELETE", "/d", nil, false, "DELETE /d? 0 "},
	} {
		var body io.Reader
		if tc.body != nil {
			body = bytes.NewReader(tc.body)
		}
		req, _ := http.NewRequest(tc.method, g.url+tc.path, body)
		if tc.chunked {
			req.ContentLength = -1
			req.Body = io.NopCloser(bytes.NewReader(tc.body))
		}
		r := g.do(req)
		if r.err != nil || r.status != 200 || !strings.HasPrefix(r.body, tc.want) {
			t.Errorf("%s: %s %s = %d %q, %v; want 200 starting %q", tc.name, tc.method, tc.path, r.status, trim(r.body), r.err, tc.want)
		}
	}
	// Anything the validator noticed went to the worker's stderr.
	g.mustGet(t, "/last", 200)
	for _, bad := range []string{"AssertionError", "Warning", "Traceback", "Exception ignored"} {
		if strings.Contains(g.log.String(), bad) {
			t.Errorf("the validator complained (%s)", bad)
		}
	}
	// The control: a violation is a 500 with the validator's complaint.
	if r := g.get(t, "/violate"); r.err != nil || r.status != 500 {
		t.Errorf("GET /violate = %d %q, %v; want 500", r.status, r.body, r.err)
	}
	g.log.waitFor(t, 5*time.Second, "AssertionError")
}
