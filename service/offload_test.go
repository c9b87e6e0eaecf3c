package service_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/url"
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
    start_response("200 OK", [(field, target), ("Content-Type", "application/x-download"),
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
			h.Get("Content-Type") != "application/x-download" {
			t.Errorf("%s: fields %v; want the application's kept (its type too), no offload field", via.name, h)
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

// edgeApp names a file with X-Sendfile, with an empty body (/send), with
// a body that never ends (/endless), or with a large file of its own
// (/wrapped), as an application that returns a streamed file response
// and adds the field does (Django's FileResponse goes through
// wsgi.file_wrapper).
const edgeApp = `from urllib.parse import parse_qs
def application(environ, start_response):
    q = parse_qs(environ["QUERY_STRING"])
    start_response("200 OK", [("X-Sendfile", q["p"][0]), ("Content-Type", "text/plain")])
    if environ["PATH_INFO"] == "/endless":
        def body():
            while True:
                yield b"the application's own body " * 1000
        return body()
    if environ["PATH_INFO"] == "/wrapped":
        return environ["wsgi.file_wrapper"](open(q["own"][0], "rb"))
    return []
`

const edgeConf = `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/"
  wsgi = { app = "edgeapp", chdir = ".", python = "{{python}}", workers = 1, timeout = "2s", sendfile_root = "{{media}}" }
`

// TestFileOffloadEdges: X-Sendfile under a sendfile_root that is a
// symbolic link takes the root's real path too (Django resolves its
// MEDIA_ROOT); a directory is not a file to send (404, logged, never a
// redirect to a path of the client's site); a body sent beside the field
// is dropped without making the client wait for its end: the worker is
// told to stop.
func TestFileOffloadEdges(t *testing.T) {
	needFlask(t)
	tmp := t.TempDir()
	real := filepath.Join(tmp, "releases", "2026-12-06", "media")
	media := filepath.Join(tmp, "media") // the configured root: a link to real
	f := load(t, strings.ReplaceAll(edgeConf, "{{media}}", media), func(d string) {
		os.MkdirAll(filepath.Join(real, "sub"), 0o755)
		os.WriteFile(filepath.Join(real, "x.bin"), []byte("the file"), 0o644)
		os.WriteFile(filepath.Join(real, `back\slash.bin`), []byte("a file"), 0o644)
		os.WriteFile(filepath.Join(real, "tab\tname.bin"), []byte("a file"), 0o644)
		os.WriteFile(filepath.Join(real, "sub", "index.html"), []byte("an index"), 0o644)
		os.Symlink(real, media)
		os.Mkdir(real+"2", 0o755)
		os.WriteFile(filepath.Join(real+"2", "x.bin"), []byte("beside the root"), 0o644)
		os.WriteFile(filepath.Join(d, "edgeapp.py"), []byte(edgeApp), 0o644)
	})
	big := filepath.Join(tmp, "big") // sparse: as long as a film, no disk
	if err := os.WriteFile(big, nil, 0o644); err != nil || os.Truncate(big, 8<<30) != nil {
		t.Fatal("cannot make a sparse file")
	}
	for _, tc := range []struct {
		name, path string
		status     int
		body, log  string
	}{
		{"under the root as configured", "/send?p=" + media + "/x.bin", 200, "the file", ""},
		{"under the root's real path", "/send?p=" + real + "/x.bin", 200, "the file", ""},
		{"beside the real root, same prefix", "/send?p=" + real + "2/x.bin", 500, "", "outside sendfile_root"},
		{"out of the real root by ..", "/send?p=" + real + "/../media2/x.bin", 500, "", "outside sendfile_root"},
		{"a directory", "/send?p=" + media + "/sub", 404, "", "is a directory"},
		{"a directory, with a slash", "/send?p=" + real + "/sub/", 404, "", "is a directory"},
		{"the root itself", "/send?p=" + media, 404, "", "is a directory"},
		{"a body that never ends", "/endless?p=" + media + "/x.bin", 200, "the file", ""},
		{"a wrapped file of 8 GiB", "/wrapped?p=" + media + "/x.bin&own=" + big, 200, "the file", ""},
		// Names the file server refuses as a client's bad path (400):
		// the application's doing, a 500 and a log line that says so.
		{"a backslash in the name", "/send?p=" + url.QueryEscape(media+`/back\slash.bin`), 500, "", "has a backslash"},
		{"a tab in the name", "/send?p=" + url.QueryEscape(media+"/tab\tname.bin"), 500, "", "has a control byte"},
	} {
		start := time.Now()
		resp, err := noRedirect.Get(f.base + tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || tc.body != "" && string(b) != tc.body || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d %q Location %q, want %d %q", tc.name, resp.StatusCode, b, resp.Header.Get("Location"), tc.status, tc.body)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: answered after %v", tc.name, took.Round(time.Millisecond))
		}
		if tc.log != "" && !strings.Contains(f.log.String(), tc.log) {
			t.Errorf("%s: the log lacks %q", tc.name, tc.log)
		}
	}
}

const accelHeadersConf = `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/protected/"
  internal = true
  static = { root = "private" }
  headers = { X-Frame-Options = "SAMEORIGIN", X-Inner = "inner" }

  [[site.route]]
  path = "/"
  wsgi = { app = "offapp", chdir = ".", python = "{{python}}", workers = 1 }
  headers = { X-Frame-Options = "DENY", X-Outer = "outer" }
`

// TestAccelRedirectRouteHeaders: the internal route that serves an
// X-Accel-Redirect sets its fields in place of the same fields of the
// route that ran the application, as nginx applies only the internal
// location's add_header: two X-Frame-Options ("DENY, SAMEORIGIN") are
// invalid, and a browser then enforces neither.
func TestAccelRedirectRouteHeaders(t *testing.T) {
	needFlask(t)
	f := load(t, accelHeadersConf, func(d string) {
		os.Mkdir(filepath.Join(d, "private"), 0o755)
		os.WriteFile(filepath.Join(d, "private", "x.bin"), []byte("private"), 0o644)
		os.WriteFile(filepath.Join(d, "offapp.py"), []byte(offApp), 0o644)
	})
	for _, tc := range []struct {
		path, field string
		want        []string
	}{
		{"/accel?p=/protected/x.bin", "X-Frame-Options", []string{"SAMEORIGIN"}},
		{"/accel?p=/protected/x.bin", "X-Inner", []string{"inner"}},
		{"/accel?p=/protected/x.bin", "X-Outer", []string{"outer"}}, // a field of its own stays
		{"/hello", "X-Frame-Options", []string{"DENY"}},
	} {
		resp, err := noRedirect.Get(f.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Values(tc.field); resp.StatusCode != 200 || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("GET %s: %d, %s %q; want 200 and %q", tc.path, resp.StatusCode, tc.field, got, tc.want)
		}
	}
}

// typeApp offloads to the file f names with the field h, with the
// Content-Type t and the status s when given.
const typeApp = `from urllib.parse import parse_qs
def application(environ, start_response):
    q = parse_qs(environ["QUERY_STRING"])
    status = q.get("s", ["200 OK"])[0]
    start_response(status, [(q["h"][0], q["f"][0])] + [("Content-Type", t) for t in q.get("t", [])])
    return []
`

const typeConf = `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/protected/"
  internal = true
  static = { root = "{{media}}" }

  [[site.route]]
  path = "/"
  wsgi = { app = "typeapp", chdir = ".", python = "{{python}}", workers = 1, sendfile_root = "{{media}}" }
`

// TestOffloadContentType: the application's Content-Type is the file's,
// as nginx (which copies it before the internal redirect and does not
// guess over it) and lighttpd (which sets one only when none is) keep it: an
// application that serves an uploaded page as text/plain, or a stored
// file without an extension as the type it recorded, means it. Without
// one the file's name decides. A multipart/byteranges envelope and a 304
// keep the file server's.
func TestOffloadContentType(t *testing.T) {
	needFlask(t)
	media := t.TempDir()
	os.WriteFile(filepath.Join(media, "upload.html"), []byte("<script>alert(document.cookie)</script>"), 0o644)
	os.WriteFile(filepath.Join(media, "3f2a9c"), []byte("PK\x03\x04 a document stored without an extension"), 0o644)
	f := load(t, strings.ReplaceAll(typeConf, "{{media}}", media), func(d string) {
		os.WriteFile(filepath.Join(d, "typeapp.py"), []byte(typeApp), 0o644)
	})
	send := func(file, typ string) string {
		v := url.Values{"h": {"X-Sendfile"}, "f": {filepath.Join(media, file)}}
		if typ != "" {
			v.Set("t", typ)
		}
		return "/?" + v.Encode()
	}
	accel := func(file, typ string) string {
		v := url.Values{"h": {"X-Accel-Redirect"}, "f": {"/protected/" + file}}
		if typ != "" {
			v.Set("t", typ)
		}
		return "/?" + v.Encode()
	}
	const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	for _, tc := range []struct {
		name, path, header string
		status             int
		want               string
	}{
		{"X-Sendfile, a page sent as text", send("upload.html", "text/plain; charset=utf-8"), "", 200, "text/plain; charset=utf-8"},
		{"X-Accel-Redirect, a page sent as text", accel("upload.html", "text/plain; charset=utf-8"), "", 200, "text/plain; charset=utf-8"},
		{"X-Accel-Redirect, a recorded type", accel("3f2a9c", docx), "", 200, docx},
		{"a recorded type, one range", send("3f2a9c", docx), "Range: bytes=0-3", 206, docx},
		{"no type: the file's name", send("upload.html", ""), "", 200, "text/html; charset=utf-8"},
		{"two ranges: the envelope", send("3f2a9c", docx), "Range: bytes=0-1,3-4", 206, "multipart/byteranges; boundary="},
		{"not modified", send("3f2a9c", docx), "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", 304, ""},
	} {
		req, _ := http.NewRequest("GET", f.base+tc.path, nil)
		if k, v, ok := strings.Cut(tc.header, ": "); ok {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got := resp.Header.Values("Content-Type")
		ok := len(got) == 1 && strings.HasPrefix(got[0], tc.want) && tc.want != "" || len(got) == 0 && tc.want == ""
		if resp.StatusCode != tc.status || !ok {
			t.Errorf("%s: %d, Content-Type %q; want %d and %q", tc.name, resp.StatusCode, got, tc.status, tc.want)
		}
	}
}

// TestSendfileStatus: X-Sendfile keeps the application's status, as
// lighttpd does (the server that defined the field): a custom error page
// sent with 404 or 410 must not become a 200 (a soft error, cached and
// indexed as content). The file is then that status's whole body, with no
// range or validator applied. X-Accel-Redirect answers with the internal
// route's status, as nginx does; a status that has no body (204) cannot
// carry the file and is ignored.
func TestSendfileStatus(t *testing.T) {
	needFlask(t)
	media := t.TempDir()
	page := []byte("<h1>This page is gone</h1>")
	os.WriteFile(filepath.Join(media, "gone.html"), page, 0o644)
	f := load(t, strings.ReplaceAll(typeConf, "{{media}}", media), func(d string) {
		os.WriteFile(filepath.Join(d, "typeapp.py"), []byte(typeApp), 0o644)
	})
	etag := ""
	for _, tc := range []struct {
		name, field, status, header string
		want                        int
		body                        string
	}{
		{"X-Sendfile, 200", "X-Sendfile", "200 OK", "", 200, string(page)},
		{"X-Sendfile, 200, a range", "X-Sendfile", "200 OK", "Range: bytes=0-3", 206, string(page[:4])},
		{"X-Sendfile, 410", "X-Sendfile", "410 Gone", "", 410, string(page)},
		{"X-Sendfile, 404, a range", "X-Sendfile", "404 Not Found", "Range: bytes=0-3", 404, string(page)},
		{"X-Sendfile, 404, a matching validator", "X-Sendfile", "404 Not Found", "If-None-Match: ETAG", 404, string(page)},
		{"X-Sendfile, 204", "X-Sendfile", "204 No Content", "", 200, string(page)},
		{"X-Accel-Redirect, 404", "X-Accel-Redirect", "404 Not Found", "", 200, string(page)},
	} {
		v := url.Values{"h": {tc.field}, "s": {tc.status}, "f": {filepath.Join(media, "gone.html")}}
		if tc.field == "X-Accel-Redirect" {
			v.Set("f", "/protected/gone.html")
		}
		req, _ := http.NewRequest("GET", f.base+"/?"+v.Encode(), nil)
		if k, val, ok := strings.Cut(tc.header, ": "); ok {
			req.Header.Set(k, strings.ReplaceAll(val, "ETAG", etag))
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if etag == "" {
			etag = resp.Header.Get("ETag")
		}
		if resp.StatusCode != tc.want || string(b) != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, b, tc.want, tc.body)
		}
	}
}

const unsafeConf = `
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
  path = "/admin/"
  internal = true
  respond = { body = "the internal admin route" }

  [[site.route]]
  path = "/"
  wsgi = { app = "offapp", chdir = ".", python = "{{python}}", workers = 1 }
`

// TestAccelRedirectUnsafe: an X-Accel-Redirect with a ".." segment, as
// written or percent-encoded, is refused 404 as nginx refuses an unsafe
// URI: an application that appends a name from the client to
// "/protected/" must not be led to another internal route
// ("/protected/../admin/"). "." segments and names that only contain
// dots stay.
func TestAccelRedirectUnsafe(t *testing.T) {
	needFlask(t)
	f := load(t, unsafeConf, func(d string) {
		os.Mkdir(filepath.Join(d, "private"), 0o755)
		os.WriteFile(filepath.Join(d, "private", "x.bin"), []byte("private"), 0o644)
		os.WriteFile(filepath.Join(d, "private", "a..b"), []byte("dots"), 0o644)
		os.WriteFile(filepath.Join(d, "offapp.py"), []byte(offApp), 0o644)
	})
	for _, tc := range []struct {
		target string
		status int
		body   string
	}{
		{"/protected/x.bin", 200, "private"},
		{"/protected/./x.bin", 200, "private"},
		{"/protected/a..b", 200, "dots"},
		{"/protected/../admin/", 404, ""},
		{"/protected/%2e%2e/admin/", 404, ""},
		{"/protected/%2E%2e%2fadmin/", 404, ""},
		{"/protected/x/..", 404, ""},
		{"/protected/..%2fadmin/", 404, ""},
	} {
		resp, err := noRedirect.Get(f.base + "/accel?p=" + tc.target) // the application takes the query as it is
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || tc.body != "" && string(b) != tc.body || strings.Contains(string(b), "admin") {
			t.Errorf("X-Accel-Redirect: %s = %d %q, want %d %q", tc.target, resp.StatusCode, b, tc.status, tc.body)
		}
	}
}
