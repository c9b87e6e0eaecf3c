package service_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// offApp answers with X-Sendfile or X-Accel-Redirect and a body that must
// never reach the client, beside fields that must.
const offApp = `import os
def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hello":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello %d" % os.getpid()]
    field = {"/send": "X-Sendfile", "/accel": "X-Accel-Redirect"}[path]
    target = environ["QUERY_STRING"][2:]
    start_response("200 OK", [(field, target), ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Disposition", "attachment; filename=x.bin"), ("Cache-Control", "private"),
        ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    return [b"the application's own body"]
`

const offConf = `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/protected/"
  internal = true
  static = { root = "private" }

  [[site.route]]
  path = "/"
  wsgi = { app = "offapp", chdir = ".", python = "{{python}}", workers = 1, sendfile_root = "{{media}}" }
`

// TestFileOffload: an application's X-Sendfile (under sendfile_root) and
// X-Accel-Redirect (to an internal route) are served by Brick, with
// ranges and conditional requests and the application's other fields,
// while its worker already serves others; a path outside the root is
// refused (500, logged), an internal route is 404 from outside.
func TestFileOffload(t *testing.T) {
	needFlask(t)
	data := make([]byte, 8<<20)
	rand.Read(data)
	media := filepath.Join(t.TempDir(), "media")
	f := load(t, strings.ReplaceAll(offConf, "{{media}}", media), func(d string) {
		for _, sub := range []string{media, filepath.Join(d, "private")} {
			os.Mkdir(sub, 0o755)
			os.WriteFile(filepath.Join(sub, "x.bin"), data, 0o644)
		}
		os.Symlink("/etc/passwd", filepath.Join(media, "escape"))
		os.WriteFile(filepath.Join(d, "offapp.py"), []byte(offApp), 0o644)
	})

	get := func(path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", f.base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, b
	}
	for _, via := range []struct{ name, path string }{
		{"X-Sendfile", "/send?p=" + media + "/x.bin"},
		{"X-Accel-Redirect", "/accel?p=/protected/x.bin"},
	} {
		resp, b := get(via.path)
		if resp.StatusCode != 200 || !bytes.Equal(b, data) {
			t.Fatalf("%s: %d, %d bytes (want the file's %d)", via.name, resp.StatusCode, len(b), len(data))
		}
		h := resp.Header
		if h.Get("Content-Disposition") != "attachment; filename=x.bin" || h.Get("Cache-Control") != "private" ||
			len(h.Values("Set-Cookie")) != 2 || h.Get("X-Sendfile") != "" || h.Get("X-Accel-Redirect") != "" ||
			h.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("%s: fields %v; want the application's kept, the file's type, no offload field", via.name, h)
		}
		resp, b = get(via.path, "Range", "bytes=10-19")
		if resp.StatusCode != 206 || !bytes.Equal(b, data[10:20]) {
			t.Errorf("%s with a range: %d %q", via.name, resp.StatusCode, b)
		}
		if resp, _ = get(via.path, "If-None-Match", h.Get("ETag")); resp.StatusCode != 304 {
			t.Errorf("%s with If-None-Match: %d, want 304", via.name, resp.StatusCode)
		}
	}
	for _, tc := range []struct {
		path   string
		status int
		log    string
	}{
		{"/send?p=/etc/passwd", 500, "outside sendfile_root"},
		{"/send?p=" + media + "/../private/x.bin", 500, "outside sendfile_root"},
		{"/send?p=relative/x.bin", 500, "not absolute"},
		{"/send?p=" + media + "/missing", 404, ""},
		{"/send?p=" + media + "/escape", 403, ""}, // a link out of the root
		{"/protected/x.bin", 404, ""},             // internal: not from outside
	} {
		resp, b := get(tc.path)
		if resp.StatusCode != tc.status || bytes.Contains(b, []byte("root:")) {
			t.Errorf("GET %s = %d %q, want %d", tc.path, resp.StatusCode, b, tc.status)
		}
		if tc.log != "" && !strings.Contains(f.log.String(), tc.log) {
			t.Errorf("GET %s: the log lacks %q", tc.path, tc.log)
		}
	}

	// The only worker is free while a slow client takes the file.
	c, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /send?p="+media+"/x.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	c.Read(make([]byte, 1024)) // the head and a little: the rest waits
	done := make(chan []byte, 1)
	go func() { _, b := get("/hello"); done <- b }()
	select {
	case b := <-done:
		if !strings.HasPrefix(string(b), "hello ") {
			t.Errorf("GET /hello during the download: %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the worker stayed busy while a slow client downloaded the file it named")
	}
}
