package static_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/static"
)

const secret = "TOP-SECRET-BESIDE-THE-ROOT"

// site is a directory tree to serve, with a secret file beside the root.
type site struct {
	parent, root string
	big          []byte // big.bin, served with sendfile
	bigText      []byte // big.txt, compressed on the fly while streamed
	css          []byte
}

func newSite(t *testing.T) *site {
	t.Helper()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	s := &site{parent: parent, root: root}
	s.big = make([]byte, 1<<20+123)
	rand.Read(s.big)
	s.bigText = bytes.Repeat([]byte("All work and no play makes Jack a dull boy.\n"), 5000)
	s.css = bytes.Repeat([]byte("body { color: #123456; margin: 0 auto; }\n"), 100)
	appJS := []byte("console.log('precompressed');\n")
	files := map[string][]byte{
		"hello.txt":                    []byte("Hello, static!\n"),
		"style.css":                    s.css,
		"app.js":                       appJS,
		"app.js.gz":                    gz(t, appJS),
		"app.js.br":                    br(t, appJS),
		"big.bin":                      s.big,
		"big.txt":                      s.bigText,
		"site/index.html":              []byte("<!doctype html><title>site</title><p>index page</p>\n"),
		"empty/.keep":                  nil,
		".env":                         []byte("PASSWORD=" + secret),
		".git/config":                  []byte(secret),
		".well-known/security.txt":     []byte("Contact: mailto:x@example.com\n"),
		"names/a b.txt":                []byte("space"),
		"names/<b>&amp;'\".txt":        []byte("markup"),
		"names/été.txt":                []byte("utf-8"),
		"names/zdir/x":                 []byte("x"),
		"names/Adir/x":                 []byte("x"),
		"noext":                        []byte("binary?"),
		"img/logo.svg":                 []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"../secret.txt":                []byte(secret),
		"../root-sibling/secret.txt":   []byte(secret),
		"deep/a/b/c/file.txt":          []byte("deep"),
		"deep/a/b/c/../../b/other.txt": []byte("other"),
	}
	for name, b := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range []string{"hello.txt", "big.bin"} {
		os.Chtimes(filepath.Join(root, n), old, old)
	}
	for link, target := range map[string]string{
		"inlink":        "hello.txt",
		"indir":         "site",
		"outlink":       "../secret.txt",
		"outdir":        "..",
		"abslink":       filepath.Join(parent, "secret.txt"),
		"names/outlink": "../../secret.txt",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func gz(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func br(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w := brotli.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve starts a Brick server for cfg on a loopback port.
func serve(t *testing.T, cfg static.Config, perConn bool) (addr string, log *syncBuffer) {
	t.Helper()
	log = new(syncBuffer)
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	fs, err := static.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() }) // after the server's shutdown
	return loopback.Serve(t, &server.Server{Handler: fs, Logger: cfg.Logger, GoroutinePerConn: perConn}), log
}

// modes runs f with both connection models: the epoll loops (sendfile(2)
// called by Brick) and a goroutine per connection (io.Copy onto the
// net.Conn).
func modes(t *testing.T, f func(t *testing.T, perConn bool)) {
	for _, m := range []struct {
		name    string
		perConn bool
	}{{"epoll", false}, {"goroutine", true}} {
		t.Run(m.name, func(t *testing.T) { f(t, m.perConn) })
	}
}

// do sends a raw request and reads one response.
func do(t *testing.T, addr, method, target string, fields ...string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: test\r\n"
	for _, f := range fields {
		req += f + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, target, err)
	}
	return resp, body
}

func defaults(s *site) static.Config { return static.Defaults(s.root) }

func TestFiles(t *testing.T) {
	s := newSite(t)
	modes(t, func(t *testing.T, perConn bool) {
		addr, _ := serve(t, defaults(s), perConn)
		tests := []struct {
			name, method, target string
			fields               []string
			status               int
			ctype, body          string
			header               map[string]string
		}{
			{"text file", "GET", "/hello.txt", nil, 200, "text/plain; charset=utf-8", "Hello, static!\n",
				map[string]string{"X-Content-Type-Options": "nosniff", "Accept-Ranges": "bytes",
					"Last-Modified": "Fri, 02 Jan 2026 03:04:05 GMT", "Content-Length": "15"}},
			{"head", "HEAD", "/hello.txt", nil, 200, "text/plain; charset=utf-8", "", map[string]string{"Content-Length": "15"}},
			{"css", "GET", "/style.css", nil, 200, "text/css; charset=utf-8", string(s.css), map[string]string{"Vary": "Accept-Encoding"}},
			{"svg", "GET", "/img/logo.svg", nil, 200, "image/svg+xml", "", nil},
			{"no extension, text", "GET", "/noext", nil, 200, "text/plain; charset=utf-8", "binary?", nil},
			{"index.html", "GET", "/site/", nil, 200, "text/html; charset=utf-8", "<!doctype html><title>site</title><p>index page</p>\n", nil},
			{"redirect keeps query", "GET", "/site?x=1&y=2", nil, 301, "", "", map[string]string{"Location": "/site/?x=1&y=2"}},
			{"redirect escapes", "GET", "/names/zdir", nil, 301, "", "", map[string]string{"Location": "/names/zdir/"}},
			{"redirect normalises", "GET", "/deep/a/../a/b", nil, 301, "", "", map[string]string{"Location": "/deep/a/b/"}},
			{"listing", "GET", "/names/", nil, 200, "text/html; charset=utf-8", "", nil},
			{"encoded name", "GET", "/names/a%20b.txt", nil, 200, "text/plain; charset=utf-8", "space", nil},
			{"utf-8 name", "GET", "/names/%C3%A9t%C3%A9.txt", nil, 200, "text/plain; charset=utf-8", "utf-8", nil},
			{"symlink inside", "GET", "/inlink", nil, 200, "", "Hello, static!\n", nil},
			{"dir symlink inside", "GET", "/indir/", nil, 200, "", "<!doctype html><title>site</title><p>index page</p>\n", nil},
			{"well-known", "GET", "/.well-known/security.txt", nil, 200, "text/plain; charset=utf-8", "Contact: mailto:x@example.com\n", nil},
			{"post", "POST", "/hello.txt", []string{"Content-Length: 0"}, 405, "", "", map[string]string{"Allow": "GET, HEAD"}},
			{"delete", "DELETE", "/site/", nil, 405, "", "", map[string]string{"Allow": "GET, HEAD"}},
			{"missing", "GET", "/nope.txt", nil, 404, "text/plain; charset=utf-8", "Not Found\n", nil},
			{"file as dir", "GET", "/hello.txt/", nil, 404, "", "", nil},
			{"below a file", "GET", "/hello.txt/x", nil, 404, "", "", nil},
			{"dotfile", "GET", "/.env", nil, 404, "", "Not Found\n", nil},
			{"dot dir", "GET", "/.git/config", nil, 404, "", "Not Found\n", nil},
			{"symlink out", "GET", "/outlink", nil, 403, "", "Forbidden\n", nil},
			{"absolute symlink out", "GET", "/abslink", nil, 403, "", "Forbidden\n", nil},
			{"malformed", "GET", "/a%zz", nil, 400, "", "Bad Request\n", nil},
			{"nul", "GET", "/hello.txt%00", nil, 400, "", "", nil},
			{"dir without index", "GET", "/empty/", nil, 200, "text/html; charset=utf-8", "", nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := do(t, addr, tc.method, tc.target, tc.fields...)
				if resp.StatusCode != tc.status {
					t.Fatalf("%s %s = %d, want %d (%q)", tc.method, tc.target, resp.StatusCode, tc.status, body)
				}
				if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
					t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
				}
				if tc.body != "" && string(body) != tc.body {
					t.Errorf("body %q, want %q", body, tc.body)
				}
				for k, v := range tc.header {
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				if bytes.Contains(body, []byte(s.parent)) {
					t.Errorf("response reveals a filesystem path: %q", body)
				}
			})
		}
	})
}

func TestLargeFileSendfile(t *testing.T) {
	s := newSite(t)
	modes(t, func(t *testing.T, perConn bool) {
		addr, _ := serve(t, defaults(s), perConn)
		resp, body := do(t, addr, "GET", "/big.bin")
		if resp.StatusCode != 200 || !bytes.Equal(body, s.big) || resp.ContentLength != int64(len(s.big)) {
			t.Fatalf("GET /big.bin = %d, %d bytes (equal %v)", resp.StatusCode, len(body), bytes.Equal(body, s.big))
		}
		resp, body = do(t, addr, "HEAD", "/big.bin")
		if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(s.big)) {
			t.Fatalf("HEAD /big.bin = %d, %d bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
		}
		resp, body = do(t, addr, "GET", "/big.bin", "Range: bytes=100000-899999")
		if resp.StatusCode != 206 || !bytes.Equal(body, s.big[100000:900000]) {
			t.Fatalf("range of /big.bin = %d, %d bytes", resp.StatusCode, len(body))
		}
		// Pipelined: two large responses and a small one behind them, in
		// order, on one connection.
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=-70000\r\n\r\n")
		br := bufio.NewReader(c)
		want := [][]byte{s.big, []byte("Hello, static!\n"), s.big[len(s.big)-70000:]}
		for i, w := range want {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("response %d: %v", i, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if !bytes.Equal(b, w) {
				t.Fatalf("response %d: %d bytes, want %d", i, len(b), len(w))
			}
		}
	})
}

func TestConditional(t *testing.T) {
	s := newSite(t)
	modes(t, func(t *testing.T, perConn bool) {
		cfg := defaults(s)
		cfg.CacheControl = "public, max-age=60"
		addr, _ := serve(t, cfg, perConn)
		for _, target := range []string{"/hello.txt", "/big.bin"} {
			resp, _ := do(t, addr, "GET", target)
			etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			if !strings.HasPrefix(etag, `"`) || lm == "" || resp.Header.Get("Cache-Control") != "public, max-age=60" {
				t.Fatalf("%s: ETag %q, Last-Modified %q, Cache-Control %q", target, etag, lm, resp.Header.Get("Cache-Control"))
			}
			tests := []struct {
				fields []string
				status int
			}{
				{[]string{"If-None-Match: " + etag}, 304},
				{[]string{"If-None-Match: \"nope\""}, 200},
				{[]string{"If-Modified-Since: " + lm}, 304},
				{[]string{"If-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT"}, 200},
				{[]string{"If-Match: " + etag}, 200},
				{[]string{"If-Match: \"nope\""}, 412},
				{[]string{"If-Unmodified-Since: Thu, 01 Jan 2015 00:00:00 GMT"}, 412},
				{[]string{"If-Unmodified-Since: " + lm}, 200},
			}
			for _, tc := range tests {
				resp, body := do(t, addr, "GET", target, tc.fields...)
				if resp.StatusCode != tc.status {
					t.Errorf("%s %v = %d, want %d", target, tc.fields, resp.StatusCode, tc.status)
				}
				if tc.status == 304 && (len(body) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") == "") {
					t.Errorf("304 for %s: body %d bytes, ETag %q, Cache-Control %q", target, len(body), resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
				}
			}
		}
	})
}

func TestRanges(t *testing.T) {
	s := newSite(t)
	addr, _ := serve(t, defaults(s), false)
	resp, _ := do(t, addr, "GET", "/hello.txt")
	etag := resp.Header.Get("ETag")
	tests := []struct {
		name   string
		target string
		fields []string
		status int
		body   string
		cr     string
	}{
		{"single", "/hello.txt", []string{"Range: bytes=0-4"}, 206, "Hello", "bytes 0-4/15"},
		{"suffix", "/hello.txt", []string{"Range: bytes=-7"}, 206, "static!\n"[1:], "bytes 8-14/15"},
		{"open", "/hello.txt", []string{"Range: bytes=7-"}, 206, "static!\n", "bytes 7-14/15"},
		{"unsatisfiable", "/hello.txt", []string{"Range: bytes=100-"}, 416, "", "bytes */15"},
		{"bad syntax ignored", "/hello.txt", []string{"Range: bytes=x-y"}, 200, "Hello, static!\n", ""},
		{"other unit ignored", "/hello.txt", []string{"Range: lines=1-2"}, 200, "Hello, static!\n", ""},
		{"if-range etag holds", "/hello.txt", []string{"Range: bytes=0-4", "If-Range: " + etag}, 206, "Hello", "bytes 0-4/15"},
		{"if-range etag stale", "/hello.txt", []string{"Range: bytes=0-4", "If-Range: \"old\""}, 200, "Hello, static!\n", ""},
		{"if-range date holds", "/hello.txt", []string{"Range: bytes=0-4", "If-Range: Fri, 02 Jan 2026 03:04:05 GMT"}, 206, "Hello", ""},
		{"if-range date stale", "/hello.txt", []string{"Range: bytes=0-4", "If-Range: Fri, 02 Jan 2026 03:04:04 GMT"}, 200, "Hello, static!\n", ""},
		{"head ignores range", "/hello.txt", []string{"Range: bytes=0-4"}, 206, "Hello", ""},
		{"never compressed", "/style.css", []string{"Range: bytes=0-3", "Accept-Encoding: gzip, br"}, 206, "body", "bytes 0-3/4100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, addr, "GET", tc.target, tc.fields...)
			if resp.StatusCode != tc.status || tc.body != "" && string(body) != tc.body {
				t.Fatalf("= %d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
			if tc.cr != "" && resp.Header.Get("Content-Range") != tc.cr {
				t.Errorf("Content-Range %q, want %q", resp.Header.Get("Content-Range"), tc.cr)
			}
			if resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("a range response with Content-Encoding %q", resp.Header.Get("Content-Encoding"))
			}
		})
	}
	resp, _ = do(t, addr, "HEAD", "/hello.txt", "Range: bytes=0-4")
	if resp.StatusCode != 200 {
		t.Errorf("HEAD with Range = %d, want 200 (Range is for GET only)", resp.StatusCode)
	}
	// Several ranges: multipart/byteranges, parsed by Go's mime/multipart.
	for _, target := range []string{"/hello.txt", "/big.bin"} {
		whole := []byte("Hello, static!\n")
		rng := "bytes=0-1, 5-6, -2"
		want := [][]byte{whole[0:2], whole[5:7], whole[13:]}
		if target == "/big.bin" {
			whole = s.big
			rng = "bytes=0-99999, 200000-599999"
			want = [][]byte{whole[:100000], whole[200000:600000]}
		}
		resp, body := do(t, addr, "GET", target, "Range: "+rng)
		if resp.StatusCode != 206 || int64(len(body)) != resp.ContentLength {
			t.Fatalf("%s multi-range = %d, %d bytes of %d", target, resp.StatusCode, len(body), resp.ContentLength)
		}
		parts := readMultipart(t, resp.Header.Get("Content-Type"), body)
		if len(parts) != len(want) {
			t.Fatalf("%s: %d parts, want %d", target, len(parts), len(want))
		}
		for i := range want {
			if !bytes.Equal(parts[i], want[i]) {
				t.Errorf("%s: part %d differs (%d bytes, want %d)", target, i, len(parts[i]), len(want[i]))
			}
		}
	}
}

func TestCompression(t *testing.T) {
	s := newSite(t)
	modes(t, func(t *testing.T, perConn bool) {
		addr, _ := serve(t, defaults(s), perConn)
		tests := []struct {
			name, target, ae, coding string
			want                     []byte
		}{
			{"precompressed br", "/app.js", "gzip, br", "br", []byte("console.log('precompressed');\n")},
			{"precompressed gzip", "/app.js", "gzip", "gzip", []byte("console.log('precompressed');\n")},
			{"none accepted", "/app.js", "identity", "", []byte("console.log('precompressed');\n")},
			{"br refused by q=0", "/app.js", "br;q=0, gzip", "gzip", []byte("console.log('precompressed');\n")},
			{"on the fly br", "/style.css", "br", "br", s.css},
			{"on the fly gzip", "/style.css", "gzip, deflate", "gzip", s.css},
			{"streamed gzip", "/big.txt", "gzip", "gzip", s.bigText},
			{"streamed br", "/big.txt", "br", "br", s.bigText},
			{"too small", "/hello.txt", "gzip, br", "", []byte("Hello, static!\n")},
			{"not compressible", "/big.bin", "gzip, br", "", s.big},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := do(t, addr, "GET", tc.target, "Accept-Encoding: "+tc.ae)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.coding {
					t.Fatalf("= %d, Content-Encoding %q, want 200 %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), tc.coding)
				}
				if tc.coding != "" && resp.Header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("Vary %q", resp.Header.Get("Vary"))
				}
				got := decode(t, tc.coding, body)
				if !bytes.Equal(got, tc.want) {
					t.Errorf("decoded body: %d bytes, want %d", len(got), len(tc.want))
				}
				if tc.coding != "" && !strings.Contains(resp.Header.Get("ETag"), tc.coding) {
					t.Errorf("ETag %q does not name the coding", resp.Header.Get("ETag"))
				}
				etag := resp.Header.Get("ETag")
				if resp, _ := do(t, addr, "GET", tc.target, "Accept-Encoding: "+tc.ae, "If-None-Match: "+etag); resp.StatusCode != 304 {
					t.Errorf("revalidating the %q representation = %d, want 304", tc.coding, resp.StatusCode)
				}
			})
		}
		resp, _ := do(t, addr, "GET", "/app.js")
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("identity response for a file with siblings: Vary %q", resp.Header.Get("Vary"))
		}
	})
	addr, _ := serve(t, static.Config{Root: s.root}, false)
	if resp, _ := do(t, addr, "GET", "/style.css", "Accept-Encoding: gzip, br"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("compression off: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}

func decode(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(b)
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(r)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", coding, err)
	}
	return out
}

func TestListing(t *testing.T) {
	s := newSite(t)
	addr, _ := serve(t, defaults(s), false)
	_, body := do(t, addr, "GET", "/names/")
	page := string(body)
	for _, want := range []string{
		`<a href="../">../</a>`,
		`<a href="Adir/">Adir/</a>`,
		`<a href="a%20b.txt">a b.txt</a>`,
		`&lt;b&gt;&amp;amp;&#39;&#34;.txt</a>`,
		`<a href="%C3%A9t%C3%A9.txt">été.txt</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("listing lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<b>&") || strings.Contains(page, "outlink") {
		t.Errorf("listing has unescaped markup or an escaping link:\n%s", page)
	}
	// Directories first, then names in byte order.
	order := []string{">Adir/<", ">zdir/<", ">&lt;b&gt;", ">a b.txt<", ">été.txt<"}
	last := -1
	for _, o := range order {
		i := strings.Index(page, o)
		if i < last {
			t.Errorf("listing out of order at %q:\n%s", o, page)
		}
		last = i
	}
	_, body = do(t, addr, "GET", "/")
	if strings.Contains(string(body), ".env") || strings.Contains(string(body), ".git") || strings.Contains(string(body), `href="../"`) {
		t.Errorf("root listing shows dotfiles or a parent link:\n%s", body)
	}
	if !strings.Contains(string(body), `>big.bin</a></td><td class="size">1048699<`) {
		t.Errorf("root listing lacks big.bin's size:\n%s", body)
	}
	cfg := defaults(s)
	cfg.Listing = false
	addr, _ = serve(t, cfg, false)
	if resp, _ := do(t, addr, "GET", "/names/"); resp.StatusCode != 403 {
		t.Errorf("listing off: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, addr, "GET", "/site/"); resp.StatusCode != 200 {
		t.Errorf("listing off, index.html: %d, want 200", resp.StatusCode)
	}
}

func TestOptions(t *testing.T) {
	s := newSite(t)
	cfg := defaults(s)
	cfg.Dotfiles, cfg.FollowSymlinks = true, true
	addr, _ := serve(t, cfg, false)
	if resp, body := do(t, addr, "GET", "/.env"); resp.StatusCode != 200 || !strings.Contains(string(body), "PASSWORD") {
		t.Errorf("dotfiles on: %d %q", resp.StatusCode, body)
	}
	if resp, body := do(t, addr, "GET", "/outlink"); resp.StatusCode != 200 || string(body) != secret {
		t.Errorf("follow-symlinks on: %d %q", resp.StatusCode, body)
	}
	// Even when following symlinks, the path itself never climbs out.
	if resp, body := do(t, addr, "GET", "/../secret.txt"); resp.StatusCode == 200 || strings.Contains(string(body), secret) {
		t.Errorf("follow-symlinks on, /../secret.txt: %d %q", resp.StatusCode, body)
	}
}

// TestIOErrorIs500Logged opens a Unix socket file, which open(2) refuses
// with ENXIO: an I/O error the client sees as a bare 500, and the log
// records with the path.
func TestIOErrorIs500Logged(t *testing.T) {
	s := newSite(t)
	sock := filepath.Join(s.root, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix socket:", err)
	}
	defer ln.Close()
	addr, log := serve(t, defaults(s), false)
	resp, body := do(t, addr, "GET", "/sock")
	if resp.StatusCode != 500 || string(body) != "Internal Server Error\n" {
		t.Fatalf("= %d %q, want a bare 500", resp.StatusCode, body)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(log.String(), "status=500") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "status=500") {
		t.Errorf("500 not logged: %q", log.String())
	}
}

// TestCacheSeesChanges edits a cached file and expects the new content
// once the revalidation interval has passed.
func TestCacheSeesChanges(t *testing.T) {
	s := newSite(t)
	addr, _ := serve(t, defaults(s), false)
	p := filepath.Join(s.root, "hello.txt")
	if _, body := do(t, addr, "GET", "/hello.txt"); string(body) != "Hello, static!\n" {
		t.Fatalf("%q", body)
	}
	os.WriteFile(p, []byte("changed\n"), 0o644)
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, body := do(t, addr, "GET", "/hello.txt")
		if string(body) == "changed\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q after the file changed", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.Remove(p)
	time.Sleep(1100 * time.Millisecond)
	if resp, _ := do(t, addr, "GET", "/hello.txt"); resp.StatusCode != 404 {
		t.Fatalf("deleted file: %d", resp.StatusCode)
	}
}

func ExampleNew() {
	fs, err := static.New(static.Defaults("."))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fs.Close()
	srv := &server.Server{Handler: fs}
	_ = srv // srv.ListenAndServe(":8888")
	// Output:
}
