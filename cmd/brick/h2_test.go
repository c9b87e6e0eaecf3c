package main

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// TestHTTP2Static serves a directory and asks for a file over h2c with
// Go's HTTP/2 client: whole, compressed, a range, conditionally. The
// access log writes HTTP/2.0 as nginx does, and -v prints the exchanges,
// pseudo-header fields first. With -h2c=false a preface is not HTTP/2.
func TestHTTP2Static(t *testing.T) {
	dir := t.TempDir()
	body := strings.Repeat("Brick serves HTTP/2. ", 400)
	if err := os.WriteFile(filepath.Join(dir, "page.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, "-addr", "127.0.0.1:0", "-access-log", "stdout", "-v", dir)
	c := &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, p.addr)
		},
		DisableCompression: true,
	}}
	url := "http://" + p.addr + "/page.txt"
	do := func(header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 {
			t.Fatalf("served over %s", resp.Proto)
		}
		return resp, string(b)
	}
	resp, got := do()
	if resp.StatusCode != 200 || got != body {
		t.Fatalf("whole file: %d, %d bytes", resp.StatusCode, len(got))
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := do("Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("compressed: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if resp, got := do("Range", "bytes=6-11"); resp.StatusCode != 206 || got != "serves" {
		t.Errorf("range: %d %q", resp.StatusCode, got)
	}
	if resp, _ := do("If-None-Match", etag); resp.StatusCode != 304 {
		t.Errorf("conditional: %d", resp.StatusCode)
	}
	waitOutput(t, "access log", p.standardOutput, `"GET /page.txt HTTP/2.0" 200`, `"GET /page.txt HTTP/2.0" 206`, `"GET /page.txt HTTP/2.0" 304`)
	waitOutput(t, "trace", p.output, "< :method: GET", "< :path: /page.txt", "> :status: 206")

	off := start(t, "-addr", "127.0.0.1:0", "-h2c=false", dir)
	nc, err := net.Dial("tcp", off.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, http2.ClientPreface)
	b, _ := io.ReadAll(nc)
	if !strings.HasPrefix(string(b), "HTTP/1.1 ") {
		t.Errorf("-h2c=false answered a preface with %q", b)
	}
}
