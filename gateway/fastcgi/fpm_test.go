package fastcgi_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/fastcgi"
)

// TestPHP runs the scripts of testdata/site on a real PHP-FPM.
func TestPHP(t *testing.T) {
	f := startFPM(t)
	root := testdataDir(t, "site")
	base, logs := serve(t, fastcgi.Config{Root: root, FastCGI: "unix:" + f.sock, Conns: 2})

	t.Run("server variables", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/info.php/extra/path?a=1&b=two", nil)
		req.Header.Set("X-Custom", "custom value")
		req.Header.Set("Proxy", "http://evil.example:3128") // httpoxy
		req.AddCookie(&http.Cookie{Name: "session", Value: "abc"})
		req.AddCookie(&http.Cookie{Name: "theme", Value: "dark"})
		res := do(t, req)
		if res.status != 200 {
			t.Fatalf("status %d, body %q; log:\n%s", res.status, res.body, logs)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(res.body), &got); err != nil {
			t.Fatalf("%v: %q", err, res.body)
		}
		want := map[string]any{
			"SCRIPT_FILENAME": filepath.Join(root, "info.php"),
			"SCRIPT_NAME":     "/info.php",
			"PATH_INFO":       "/extra/path",
			"PATH_TRANSLATED": filepath.Join(root, "extra/path"),
			"PHP_SELF":        "/info.php/extra/path",
			"REQUEST_URI":     "/info.php/extra/path?a=1&b=two",
			"QUERY_STRING":    "a=1&b=two",
			"REQUEST_METHOD":  "GET",
			"REMOTE_ADDR":     "127.0.0.1",
			"DOCUMENT_ROOT":   root,
			"SERVER_PROTOCOL": "HTTP/1.1",
			"HTTP_HOST":       strings.TrimPrefix(base, "http://"),
			"HTTP_X_CUSTOM":   "custom value",
			"_GET":            map[string]any{"a": "1", "b": "two"},
			"_COOKIE":         map[string]any{"session": "abc", "theme": "dark"},
		}
		for k, v := range want {
			if g := fmt.Sprint(got[k]); g != fmt.Sprint(v) {
				t.Errorf("%s = %v, want %v", k, g, v)
			}
		}
		for _, k := range []string{"HTTP_PROXY", "HTTPS"} {
			if v, ok := got[k]; ok {
				t.Errorf("%s = %v, want it unset", k, v)
			}
		}
	})

	t.Run("form post", func(t *testing.T) {
		form := url.Values{"name": {"Zoë & co"}, "list[]": {"a", "b"}}
		req, _ := http.NewRequest("POST", base+"/info.php", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res := do(t, req)
		var got struct {
			POST          map[string]any `json:"_POST"`
			ContentLength string         `json:"CONTENT_LENGTH"`
		}
		if err := json.Unmarshal([]byte(res.body), &got); err != nil {
			t.Fatalf("%v: %q", err, res.body)
		}
		if fmt.Sprint(got.POST) != "map[list:[a b] name:Zoë & co]" || got.ContentLength != fmt.Sprint(len(form.Encode())) {
			t.Errorf("_POST %v, CONTENT_LENGTH %s", got.POST, got.ContentLength)
		}
	})

	t.Run("chunked body", func(t *testing.T) {
		data := bytes.Repeat([]byte("chunked body "), 200_000) // 2.6 MB: spooled to a file
		pr, pw := io.Pipe()
		go func() { pw.Write(data); pw.Close() }()
		req, _ := http.NewRequest("PUT", base+"/info.php", pr) // unknown length: chunked
		res := do(t, req)
		sum := sha256.Sum256(data)
		contains(t, "body", res.body, `"input_sha256":"`+hex.EncodeToString(sum[:])+`"`)
		contains(t, "body", res.body, fmt.Sprintf(`"CONTENT_LENGTH":"%d"`, len(data)))
	})

	t.Run("multipart upload 5 MiB", func(t *testing.T) {
		file := make([]byte, 5<<20)
		rand.Read(file)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("note", "holiday")
		fw, _ := mw.CreateFormFile("file", "photo.bin")
		fw.Write(file)
		mw.Close()
		req, _ := http.NewRequest("POST", base+"/upload.php", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res := do(t, req)
		sum := sha256.Sum256(file)
		want := fmt.Sprintf("%s %d photo.bin holiday\n", hex.EncodeToString(sum[:]), len(file))
		if res.status != 200 || res.body != want {
			t.Errorf("status %d, body %q; want 200, %q", res.status, res.body, want)
		}
	})

	for _, tc := range []struct {
		name, path string
		status     int
		header     map[string]string
		body       string // contained in the body
	}{
		{"redirect", "/redirect.php", 302, map[string]string{"Location": "/elsewhere?from=php"}, ""},
		// PHP sends "Status: 302 Found" with any Location: a relative one
		// passes, as HTTP allows it.
		{"relative redirect", "/relative.php", 302, map[string]string{"Location": "login.php?next=%2F#form"}, ""},
		{"status and cookies", "/status.php", 418, map[string]string{"X-Script": "status"}, "I'm a teapot"},
		{"fatal error", "/fatal.php", 500, nil, ""},
		{"directory index", "/dir/", 200, nil, "dir index: /dir/index.php"},
		{"directory without slash", "/dir?x=1", 301, map[string]string{"Location": "/dir/?x=1"}, ""},
		{"front controller", "/blog/2024/hello-world?p=1", 200, nil, "front controller: /blog/2024/hello-world?p=1"},
		{"missing script to the front controller", "/missing.php", 200, nil, "front controller: /missing.php"},
		// The path-info trick: evil.jpg must never run as PHP.
		{"path info trick", "/uploads/evil.jpg/x.php", 200, nil, "front controller: /uploads/evil.jpg/x.php"},
		{"path info trick, encoded", "/uploads/evil.jpg%2Fx.php", 200, nil, "front controller"},
		{"static file", "/style.css", 200, map[string]string{"Content-Type": "text/css; charset=utf-8"}, "body { color: red }"},
		{"image served as a file", "/uploads/evil.jpg", 200, nil, `<?php echo "PWNED"; ?>`},
		{"large output", "/big.php", 200, map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, strings.Repeat("x", 99)},
		{"dot segment", "/dir/%2e%2e/info.php", 400, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, base+tc.path)
			if res.status != tc.status {
				t.Errorf("status %d, want %d; body %q", res.status, tc.status, res.body)
			}
			for k, v := range tc.header {
				if g := res.header.Get(k); g != v {
					t.Errorf("%s: %q, want %q", k, g, v)
				}
			}
			contains(t, "body", res.body, tc.body)
			if strings.Contains(res.body, "PWNED") && tc.name != "image served as a file" {
				t.Errorf("evil.jpg ran as PHP: %q", res.body)
			}
			if tc.name == "status and cookies" && len(res.header.Values("Set-Cookie")) != 2 {
				t.Errorf("Set-Cookie %q, want two", res.header.Values("Set-Cookie"))
			}
			if tc.name == "large output" && len(res.body) != 300_000 {
				t.Errorf("body of %d bytes, want 300000", len(res.body))
			}
		})
	}

	t.Run("HEAD", func(t *testing.T) {
		req, _ := http.NewRequest("HEAD", base+"/status.php", nil)
		res := do(t, req)
		if res.status != 418 || res.body != "" || res.header.Get("X-Script") != "status" {
			t.Errorf("HEAD: %d %q X-Script %q", res.status, res.body, res.header.Get("X-Script"))
		}
		if res := get(t, base+"/dir/"); res.status != 200 {
			t.Errorf("the next request: %d", res.status)
		}
	})

	t.Run("stderr to the log", func(t *testing.T) {
		res := get(t, base+"/stderr.php")
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
		contains(t, "log", logs.String(), "a message for the log")
	})

	t.Run("flush streams", func(t *testing.T) {
		gofile := filepath.Join(t.TempDir(), "go")
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /stream.php?go=%s HTTP/1.1\r\nHost: x\r\n\r\n", url.QueryEscape(gofile))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		var seen strings.Builder
		for !strings.Contains(seen.String(), "first\n") {
			line, err := br.ReadString('\n')
			seen.WriteString(line)
			if err != nil {
				t.Fatalf("the first line did not arrive while the script waits (%v); got %q", err, seen.String())
			}
		}
		if err := os.WriteFile(gofile, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for !strings.Contains(seen.String(), "second\n") {
			line, err := br.ReadString('\n')
			seen.WriteString(line)
			if err != nil {
				t.Fatalf("%v; got %q", err, seen.String())
			}
		}
		contains(t, "response", seen.String(), "Transfer-Encoding: chunked")
	})

	t.Run("keep-alive connections reused", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			if res := get(t, base+"/dir/"); res.status != 200 {
				t.Fatalf("request %d: status %d", i, res.status)
			}
		}
	})
}

// TestPHPNoFrontController: a root without index.php answers 404 for
// scripts and paths that do not exist, and still never runs the image.
func TestPHPNoFrontController(t *testing.T) {
	f := startFPM(t)
	bare := testdataDir(t, "bare")
	base, _ := serve(t, fastcgi.Config{Root: bare, FastCGI: "unix:" + f.sock, Conns: 2})
	site := testdataDir(t, "site")
	base2, _ := serve(t, fastcgi.Config{Root: site, FastCGI: "unix:" + f.sock, Conns: 2, Index: "nothere.php"})
	for _, tc := range []struct {
		url    string
		status int
		body   string
	}{
		{base + "/hello.php", 200, "hello from /hello.php"},
		{base + "/missing.php", 404, "Not Found"},
		{base + "/nowhere", 404, "Not Found"},
		{base2 + "/uploads/evil.jpg/x.php", 404, "Not Found"},
		{base2 + "/uploads/evil.jpg/", 404, ""},
	} {
		res := get(t, tc.url)
		if res.status != tc.status || !strings.Contains(res.body, tc.body) || strings.Contains(res.body, "PWNED") {
			t.Errorf("GET %s: %d %q, want %d with %q", tc.url, res.status, res.body, tc.status, tc.body)
		}
	}
}

// TestPHPPrefix: a route under /blog/ strips it to find the file and keeps
// it in SCRIPT_NAME.
func TestPHPPrefix(t *testing.T) {
	f := startFPM(t)
	base, _ := serve(t, fastcgi.Config{Root: testdataDir(t, "site"), FastCGI: "unix:" + f.sock, Conns: 2, Prefix: "/blog/"})
	res := get(t, base+"/blog/dir/")
	if res.status != 200 || res.body != "dir index: /blog/dir/index.php\n" {
		t.Errorf("got %d %q", res.status, res.body)
	}
	res = get(t, base+"/blog/style.css")
	if res.status != 200 || res.body != "body { color: red }\n" {
		t.Errorf("static under the prefix: %d %q", res.status, res.body)
	}
}

// TestPHPDown: PHP-FPM not running is 502, and a script past the timeout
// is 504; requests work again once PHP-FPM is back.
func TestPHPDown(t *testing.T) {
	f := startFPM(t)
	root := testdataDir(t, "site")
	base, logs := serve(t, fastcgi.Config{Root: root, FastCGI: "unix:" + f.sock, Conns: 2, Timeout: time.Second})

	res := get(t, base+"/slow.php?s=3")
	if res.status != 504 {
		t.Errorf("slow script: status %d, want 504", res.status)
	}
	contains(t, "log", logs.String(), "did not answer in time")
	if res := get(t, base+"/dir/"); res.status != 200 {
		t.Errorf("after the timeout: status %d, want 200", res.status)
	}

	f.stop()
	res = get(t, base+"/dir/")
	if res.status != 502 {
		t.Errorf("php-fpm stopped: status %d, want 502; body %q", res.status, res.body)
	}
	contains(t, "log", logs.String(), "is php-fpm running")
	if res := get(t, base+"/style.css"); res.status != 200 {
		t.Errorf("static files need no PHP: status %d", res.status)
	}
}

// TestPHPRecycledChildren: with pm.max_requests = 1 every PHP-FPM child
// exits after one request, closing the kept-alive connection it served;
// the next request on that connection finds it closed before anything was
// sent and goes on a new one, a POST with a body included (its body is not
// read until the request's head is taken).
func TestPHPRecycledChildren(t *testing.T) {
	f := startFPM(t, "pm.max_requests = 1")
	base, logs := serve(t, fastcgi.Config{Root: testdataDir(t, "site"), FastCGI: "unix:" + f.sock, Conns: 2})
	for i := 0; i < 6; i++ {
		res := get(t, base+"/dir/")
		if res.status != 200 {
			t.Fatalf("GET %d: status %d %q; log:\n%s", i, res.status, res.body, logs)
		}
		req, _ := http.NewRequest("POST", base+"/info.php", strings.NewReader("a=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res = do(t, req)
		if res.status != 200 || !strings.Contains(res.body, `"_POST":{"a":"1"}`) {
			t.Fatalf("POST %d: status %d %q; log:\n%s", i, res.status, res.body, logs)
		}
	}
}

// TestPHPLargeBodyAfterRestart: a body over smallBody is streamed, not
// read first, so it cannot be sent twice. A kept-alive connection that
// PHP-FPM's restart closed is found out before any byte of that body goes
// to it, and the request goes on a new connection, hash-exact.
func TestPHPLargeBodyAfterRestart(t *testing.T) {
	f := startFPM(t)
	base, logs := serve(t, fastcgi.Config{Root: testdataDir(t, "site"), FastCGI: "unix:" + f.sock, Conns: 2})
	for _, size := range []int{100 << 10, 3 << 20} {
		body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		sum := sha256.Sum256(body)
		for i := range 3 {
			req, _ := http.NewRequest("POST", base+"/info.php", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/octet-stream")
			res := do(t, req)
			if res.status != 200 || !strings.Contains(res.body, hex.EncodeToString(sum[:])) {
				t.Fatalf("%d bytes, request %d: status %d %.200q; log:\n%s", size, i, res.status, res.body, logs)
			}
			f.restart(t)
		}
	}
}

// TestPHPLargeBodyRecycledChildren: with pm.max_requests = 1 each child
// closes its connection just after its answer, often after the pool took
// the connection again and found it open: a streamed body must then go on
// a new connection when none of it reached the old one.
func TestPHPLargeBodyRecycledChildren(t *testing.T) {
	f := startFPM(t, "pm.max_requests = 1")
	base, logs := serve(t, fastcgi.Config{Root: testdataDir(t, "site"), FastCGI: "unix:" + f.sock, Conns: 1})
	body := bytes.Repeat([]byte("0123456789abcdef"), (200<<10)/16)
	sum := hex.EncodeToString(func() []byte { s := sha256.Sum256(body); return s[:] }())
	for i := range 30 {
		req, _ := http.NewRequest("POST", base+"/info.php", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/octet-stream")
		res := do(t, req)
		if res.status != 200 || !strings.Contains(res.body, sum) {
			t.Fatalf("request %d: status %d %.200q; log:\n%s", i, res.status, res.body, logs)
		}
	}
}
