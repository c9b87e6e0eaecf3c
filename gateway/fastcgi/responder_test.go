package fastcgi_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/fastcgi"
)

// fakeFPM answers every request on a unix socket with the records out
// returns, then closes the connection when closeAfter is set.
func fakeFPM(t testing.TB, out func() []byte, closeAfter bool) string {
	return fakeFPMCounting(t, out, closeAfter, new(atomic.Int32))
}

// fakeFPMCounting is fakeFPM counting the connections open in conns.
func fakeFPMCounting(t testing.TB, out func() []byte, closeAfter bool, conns *atomic.Int32) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "fake.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Add(-1)
				defer nc.Close()
				rd := fastcgi.NewReader(nc)
				for {
					h, c, err := rd.Next()
					if err != nil {
						return
					}
					if h.Type == fastcgi.TypeStdin && len(c) == 0 {
						if _, err := nc.Write(out()); err != nil || closeAfter {
							return
						}
					}
				}
			}()
		}
	}()
	return sock
}

func stdout(s string) []byte { return fastcgi.AppendStream(nil, fastcgi.TypeStdout, 1, []byte(s)) }

func end(status uint8) []byte {
	b := fastcgi.AppendHeader(nil, fastcgi.TypeEndRequest, 1, 8, 0)
	return append(b, 0, 0, 0, 0, status, 0, 0, 0)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestResponses: what a FastCGI server sends becomes the client's
// response, or a 502 when it is not a CGI response; framing fields from
// the script are dropped, and a response cut short stays visibly cut.
func TestResponses(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644)
	for _, tc := range []struct {
		name       string
		out        []byte
		closeAfter bool
		status     int
		header     map[string]string
		body       string
		cut        bool
	}{
		{name: "plain", out: cat(stdout("Content-Type: text/plain\r\n\r\nhello"), stdout(""), end(0)), status: 200,
			header: map[string]string{"Content-Type": "text/plain", "Content-Length": "5"}, body: "hello"},
		{name: "bare newlines", out: cat(stdout("Status: 201 Created\nX-A: 1\n\nmade"), end(0)), status: 201,
			header: map[string]string{"X-A": "1"}, body: "made"},
		{name: "location", out: cat(stdout("Location: https://example.com/\r\n\r\n"), end(0)), status: 302,
			header: map[string]string{"Location": "https://example.com/"}},
		{name: "header split over records", out: cat(stdout("Content-Type: text/plain\r\nX-Long: "), stdout(strings.Repeat("v", 30000)), stdout("\r\n\r\nok"), end(0)),
			status: 200, body: "ok"},
		{name: "framing fields dropped", out: cat(stdout("Transfer-Encoding: chunked\r\nConnection: close\r\nX-Ok: 1\r\nContent-Type: text/plain\r\n\r\nbody"), end(0)),
			status: 200, header: map[string]string{"X-Ok": "1", "Connection": "", "Transfer-Encoding": ""}, body: "body"},
		{name: "stderr and management records skipped", out: cat(fastcgi.AppendStream(nil, fastcgi.TypeStderr, 1, []byte("warn")),
			fastcgi.AppendStream(nil, fastcgi.TypeGetValuesResult, 0, nil), stdout("Content-Type: text/plain\r\n\r\nx"), end(0)), status: 200, body: "x"},
		{name: "relative location with a status", out: cat(stdout("Status: 302 Found\r\nLocation: login.php?next=%2F\r\nContent-type: text/html; charset=UTF-8\r\n\r\n"), end(0)),
			status: 302, header: map[string]string{"Location": "login.php?next=%2F"}},
		{name: "no header block", out: cat(stdout("hello"), end(0)), status: 502},
		{name: "empty header block", out: cat(stdout("\r\nhello"), end(0)), status: 502},
		{name: "no CGI field", out: cat(stdout("X-A: 1\r\n\r\nhello"), end(0)), status: 502},
		{name: "relative location without a status", out: cat(stdout("Location: login.php\r\n\r\n"), end(0)), status: 502},
		{name: "two content types", out: cat(stdout("Content-Type: a/b\r\nContent-Type: c/d\r\n\r\n"), end(0)), status: 502},
		{name: "status 600", out: cat(stdout("Status: 600 Odd\r\n\r\n"), end(0)), status: 600},
		{name: "not a field", out: cat(stdout("X-A: 1\r\nnot a field\r\n\r\n"), end(0)), status: 502},
		{name: "bad status", out: cat(stdout("Status: 2000 Big\r\n\r\n"), end(0)), status: 502},
		{name: "status 1xx", out: cat(stdout("Status: 100 Continue\r\n\r\n"), end(0)), status: 502},
		{name: "field value with a control byte", out: cat(stdout("X-A: a\x01b\r\n\r\n"), end(0)), status: 502},
		{name: "header block over 64 KiB", out: cat(stdout("X-Long: "+strings.Repeat("v", 70000)), end(0)), status: 502},
		{name: "stderr only", out: cat(fastcgi.AppendStream(nil, fastcgi.TypeStderr, 1, []byte("PHP Fatal")), end(0)), status: 502},
		{name: "overloaded", out: end(fastcgi.StatusOverloaded), status: 502},
		{name: "another request's record", out: cat(fastcgi.AppendStream(nil, fastcgi.TypeStdout, 2, []byte("\r\n")), end(0)), status: 502},
		{name: "closed without an answer", out: nil, closeAfter: true, status: 502},
		{name: "not FastCGI", out: []byte("HTTP/1.1 200 OK\r\n\r\n"), closeAfter: true, status: 502},
		{name: "cut mid-body", out: stdout("Content-Type: text/plain\r\n\r\npart of it"), closeAfter: true, status: 200, cut: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := fakeFPM(t, func() []byte { return tc.out }, tc.closeAfter)
			base, _ := serve(t, fastcgi.Config{Root: root, FastCGI: "unix:" + sock, Conns: 1, Timeout: 5 * time.Second})
			resp, err := client.Get(base + "/")
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, b)
			}
			if tc.cut {
				if err == nil {
					t.Errorf("a response cut short read as complete: %q", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.status != 502 && string(b) != tc.body {
				t.Errorf("body %q, want %q", b, tc.body)
			}
			for k, v := range tc.header {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("%s: %q, want %q", k, g, v)
				}
			}
		})
	}
}

// TestConnsBound: requests beyond Conns wait for a connection: the
// server never has more than Conns open, and the waiting request is served
// once the first is done.
func TestConnsBound(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644)
	release := make(chan struct{}, 2)
	var conns atomic.Int32
	sock := fakeFPMCounting(t, func() []byte { <-release; return cat(stdout("Content-Type: text/plain\r\n\r\nok"), end(0)) }, false, &conns)
	base, _ := serve(t, fastcgi.Config{Root: root, FastCGI: "unix:" + sock, Conns: 1, Timeout: 10 * time.Second})
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(base + "/")
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections open with Conns 1", n)
	}
	release <- struct{}{}
	release <- struct{}{}
	for range 2 {
		if code := <-done; code != 200 {
			t.Errorf("status %d, want 200", code)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections open after both, want the one kept alive", n)
	}
}
