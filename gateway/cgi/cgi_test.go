package cgi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/cgi"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// TestBodyEcho sends 1 MiB through a script that echoes its standard
// input, with Content-Length and chunked, and compares hashes; the chunked
// body reaches the script with CONTENT_LENGTH, as RFC 3875 §4.1.2 needs.
func TestBodyEcho(t *testing.T) {
	needTools(t)
	root := makeRoot(t, map[string]file{
		"cat.sh": exe("#!/bin/sh\nprintf 'Content-Type: application/octet-stream\\nX-Length: %s\\n\\n' \"$CONTENT_LENGTH\"\nexec cat\n"),
		"sum.py": exe("#!/usr/bin/python3\nimport hashlib, os, sys\nn = int(os.environ['CONTENT_LENGTH'])\n" +
			"d = sys.stdin.buffer.read(n)\nsys.stdout.write('Content-Type: text/plain\\n\\n%d %s' % (len(d), hashlib.sha256(d).hexdigest()))\n"),
	})
	addr, _ := serve(t, cgi.Config{Root: root})
	body := make([]byte, 1<<20)
	rand.Read(body)
	sum := sha256.Sum256(body)
	var chunked bytes.Buffer
	for rest := body; len(rest) > 0; {
		n := min(len(rest), 100000)
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", n, rest[:n])
		rest = rest[n:]
	}
	chunked.WriteString("0\r\n\r\n")
	framings := []struct {
		name, field string
		wire        []byte
	}{
		{"content-length", "Content-Length: " + strconv.Itoa(len(body)), body},
		{"chunked", "Transfer-Encoding: chunked", chunked.Bytes()},
	}
	for _, fr := range framings {
		head := "POST /cgi-bin/%s HTTP/1.1\nHost: x\nConnection: close\n" + fr.field
		r := do(t, addr, fmt.Sprintf(head, "cat.sh"), fr.wire)
		if r.status != 200 || r.err != nil || sha256.Sum256(r.body) != sum {
			t.Errorf("%s: echo: status %d, %d bytes, err %v; want the 1 MiB sent back exactly", fr.name, r.status, len(r.body), r.err)
		}
		if got := r.header.Get("X-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("%s: CONTENT_LENGTH %q, want %d", fr.name, got, len(body))
		}
		r = do(t, addr, fmt.Sprintf(head, "sum.py"), fr.wire)
		if want := fmt.Sprintf("%d %x", len(body), sum); string(r.body) != want {
			t.Errorf("%s: python read %q, want %q", fr.name, r.body, want)
		}
	}
}

// TestResponses checks how the header block becomes the response: the
// status, redirects local and not, and the fields passed on.
func TestResponses(t *testing.T) {
	needTools(t)
	sh := func(out string) file { return exe("#!/bin/sh\nprintf '" + out + "'\n") }
	root := makeRoot(t, map[string]file{
		"ok.sh":        sh(`Content-Type: text/plain\r\nX-A: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 999\r\n\r\nhello`),
		"lf.sh":        sh(`Content-Type: text/plain\nX-B: 2\n\nbody\nlines`),
		"404.sh":       sh(`Status: 404 Not Here\nContent-Type: text/plain\n\nnope`),
		"299.sh":       sh(`Status: 299 Custom\nContent-Type: text/plain\n\ncustom`),
		"204.sh":       sh(`Status: 204\n\n`),
		"local.sh":     sh(`Location: /cgi-bin/target.py/info?from=local\n\n`),
		"target.py":    exe("#!/usr/bin/python3\nimport os\nprint('Content-Type: text/plain\\n')\nprint(os.environ['REQUEST_METHOD'], os.environ['SCRIPT_NAME'], os.environ['PATH_INFO'], os.environ['QUERY_STRING'], os.environ.get('CONTENT_LENGTH', '-'))\n"),
		"loop.sh":      sh(`Location: /cgi-bin/loop.sh\n\n`),
		"client.sh":    sh(`Location: https://example.com/elsewhere\n\n`),
		"moved.sh":     sh(`Status: 301\nLocation: /new/place\nContent-Type: text/plain\n\nmoved`),
		"py.py":        exe("#!/usr/bin/python3\nprint('Status: 201 Created')\nprint('Content-Type: application/json')\nprint()\nprint('{}')\n"),
		"nocontent.sh": sh(`X-Only: 1\n\nbody`),
	})
	addr, _ := serve(t, cgi.Config{Root: root})
	tests := []struct {
		path    string
		method  string
		status  int
		body    string
		headers map[string]string
	}{
		{"/cgi-bin/ok.sh", "GET", 200, "hello", map[string]string{"Content-Type": "text/plain", "X-A": "1", "Content-Length": ""}},
		{"/cgi-bin/lf.sh", "GET", 200, "body\nlines", map[string]string{"X-B": "2"}},
		{"/cgi-bin/ok.sh", "HEAD", 200, "", map[string]string{"X-A": "1"}},
		{"/cgi-bin/404.sh", "GET", 404, "nope", nil},
		{"/cgi-bin/299.sh", "GET", 299, "custom", nil},
		{"/cgi-bin/204.sh", "GET", 204, "", nil},
		{"/cgi-bin/local.sh", "POST", 200, "GET /cgi-bin/target.py /info from=local -\n", nil},
		{"/cgi-bin/loop.sh", "GET", 500, "", nil},
		{"/cgi-bin/client.sh", "GET", 302, "", map[string]string{"Location": "https://example.com/elsewhere"}},
		{"/cgi-bin/moved.sh", "GET", 301, "moved", map[string]string{"Location": "/new/place"}},
		{"/cgi-bin/py.py", "GET", 201, "{}\n", map[string]string{"Content-Type": "application/json"}},
		{"/cgi-bin/nocontent.sh", "GET", 502, "", nil},
	}
	for _, tc := range tests {
		head := fmt.Sprintf("%s %s HTTP/1.1\nHost: x\nConnection: close", tc.method, tc.path)
		var body []byte
		if tc.method == "POST" {
			head += "\nContent-Length: 4"
			body = []byte("data")
		}
		r := do(t, addr, head, body)
		if r.status != tc.status {
			t.Errorf("%s %s: status %d, want %d (body %q)", tc.method, tc.path, r.status, tc.status, r.body)
			continue
		}
		if tc.status < 500 && string(r.body) != tc.body {
			t.Errorf("%s %s: body %q, want %q", tc.method, tc.path, r.body, tc.body)
		}
		for k, v := range tc.headers {
			if got := r.header.Get(k); got != v && !(k == "Content-Length" && got != "999") {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, k, got, v)
			}
		}
		if tc.path == "/cgi-bin/ok.sh" && len(r.header.Values("Set-Cookie")) != 2 {
			t.Errorf("Set-Cookie fields %q, want both", r.header.Values("Set-Cookie"))
		}
	}
}

// TestBadScripts: a script whose output breaks the header rules, or that
// cannot run or fails before its header, is 502 with a log line naming it.
func TestBadScripts(t *testing.T) {
	needTools(t)
	root := makeRoot(t, map[string]file{
		"noshebang.sh": exe("printf 'Content-Type: text/plain\\n\\nhi'\n"),
		"badinterp.sh": exe("#!/nonexistent/interpreter\n"),
		"fail.sh":      exe("#!/bin/sh\necho 'it broke' >&2\nexit 3\n"),
		"failpy.py":    exe("#!/usr/bin/python3\nraise SystemExit('python broke')\n"),
		"noheader.sh":  exe("#!/bin/sh\necho hello\n"),
		"empty.sh":     exe("#!/bin/sh\n"),
		"inject.sh":    exe("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-A: b\\rSet-Cookie: evil=1\\r\\n\\r\\n'\n"),
		"nul.sh":       exe("#!/bin/sh\nprintf 'Content-Type: text/plain\\nX-A: a\\000b\\n\\n'\n"),
		"space.sh":     exe("#!/bin/sh\nprintf 'Content-Type : text/plain\\n\\n'\n"),
		"huge.sh":      exe("#!/bin/sh\nprintf 'Content-Type: text/plain\\n'\nwhile :; do printf 'X-Filler: %0100d\\n' 0; done\n"),
	})
	addr, log := serve(t, cgi.Config{Root: root})
	tests := []struct {
		script string
		log    string
	}{
		{"noshebang.sh", "cannot run"},
		{"badinterp.sh", "cannot run"},
		{"fail.sh", "exit status 3 before ending its header block"},
		{"failpy.py", "exit status 1 before ending its header block"},
		{"noheader.sh", "ended before the empty line"},
		{"empty.sh", "ended before the empty line"},
		{"inject.sh", "control character"},
		{"nul.sh", "control character"},
		{"space.sh", "not a token"},
		{"huge.sh", "header block longer than 64 KiB"},
	}
	for _, tc := range tests {
		r := get(t, addr, "/cgi-bin/"+tc.script)
		if r.status != 502 {
			t.Errorf("%s: status %d, want 502 (body %q)", tc.script, r.status, r.body)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: Set-Cookie %q reached the client", tc.script, r.header.Get("Set-Cookie"))
		}
		log.waitFor(t, "/cgi-bin/"+tc.script, tc.log)
	}
	log.waitFor(t, "cgi: script stderr", "script=/cgi-bin/fail.sh", "it broke")
	log.waitFor(t, "cgi: script stderr", "script=/cgi-bin/failpy.py", "python broke")
}

// TestStderrBounded: a script that floods its standard error gets a
// bounded number of lines in the log and one line saying what was dropped.
func TestStderrBounded(t *testing.T) {
	needTools(t)
	root := makeRoot(t, map[string]file{
		"noisy.sh": exe("#!/bin/sh\ni=0\nwhile [ $i -lt 5000 ]; do echo \"noise $i\" >&2; i=$((i+1)); done\nprintf 'Content-Type: text/plain\\n\\nok'\n"),
	})
	addr, log := serve(t, cgi.Config{Root: root})
	if r := get(t, addr, "/cgi-bin/noisy.sh"); r.status != 200 || string(r.body) != "ok" {
		t.Fatalf("status %d, body %q", r.status, r.body)
	}
	log.waitFor(t, "script stderr past the log's bound dropped", "logged_lines=100")
	if n := strings.Count(log.String(), "msg=\"cgi: script stderr\""); n != 100 {
		t.Errorf("%d stderr lines logged, want 100", n)
	}
}

// TestStreaming: the body reaches the client as the script writes it,
// while the script is still running.
func TestStreaming(t *testing.T) {
	needTools(t)
	gate := filepath.Join(t.TempDir(), "go")
	root := makeRoot(t, map[string]file{
		"slow.sh": exe("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nfirst\\n'\nwhile [ ! -e " + gate + " ]; do sleep 0.02; done\necho second\n"),
	})
	addr, _ := serve(t, cgi.Config{Root: root})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /cgi-bin/slow.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte("first\n")) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("before the script finished: %v; got %q", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if err != nil || !bytes.Contains(rest, []byte("second")) {
		t.Fatalf("after the gate: %q, %v", rest, err)
	}
}

// bufferedWriter is a ResponseWriter that cannot flush, as a middleware's
// recorder may be.
type bufferedWriter struct {
	h      wire.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() *wire.Header              { return &b.h }
func (b *bufferedWriter) WriteHeader(s int)                 { b.status = s }
func (b *bufferedWriter) Write(p []byte) (int, error)       { return b.body.Write(p) }
func (b *bufferedWriter) WriteString(s string) (int, error) { return b.body.WriteString(s) }

// TestWriterWithoutFlush: a writer that cannot flush gets the whole body,
// at its end.
func TestWriterWithoutFlush(t *testing.T) {
	needTools(t)
	root := makeRoot(t, map[string]file{"hi.sh": exe("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhello'\n")})
	h, err := cgi.New(cgi.Config{Root: root, Mount: "/cgi-bin", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var w bufferedWriter
	r := &web.Request{Body: strings.NewReader("")}
	r.Method, r.Target, r.Path, r.Major, r.Minor = []byte("GET"), []byte("/cgi-bin/hi.sh"), []byte("/cgi-bin/hi.sh"), 1, 1
	if err := h.ServeHTTP(&w, r); err != nil || w.status != 200 || w.body.String() != "hello" {
		t.Fatalf("ServeHTTP: %v, %d %q", err, w.status, w.body.String())
	}
}
