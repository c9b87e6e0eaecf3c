package static_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
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

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
)

// h2Site serves dir over TLS (ALPN offers h2 and http/1.1) and records
// each request's path and protocol as the server reports them.
type h2Site struct {
	addr  string
	cert  tls.Certificate
	ca    *testutil.CA
	mu    sync.Mutex
	proto map[string]string // path → protocol of its last request
}

func serveTLS(t *testing.T, dir string) *h2Site {
	t.Helper()
	return serveTLSConfig(t, static.Config{Root: dir})
}

// serveTLSConfig is serveTLS with a configuration of the file server.
func serveTLSConfig(t *testing.T, cfg static.Config) *h2Site {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	fs, err := static.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	ca := testutil.NewCA(t)
	s := &h2Site{ca: ca, cert: ca.KeyPair(t, "localhost", "127.0.0.1"), proto: map[string]string{}}
	srv := &server.Server{Handler: fs, Logger: slog.New(slog.DiscardHandler),
		Observer: web.ObserverFunc(func(r *web.Request, c web.Completion) {
			s.mu.Lock()
			s.proto[string(r.Path)] = fmt.Sprintf("HTTP/%d.%d %d", r.Major, r.Minor, c.Status)
			s.mu.Unlock()
		})}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, &tls.Config{Certificates: []tls.Certificate{s.cert}}) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
	})
	return s
}

// TestChromiumH2Page loads a page with 50 assets (25 images, 25 scripts)
// over HTTPS in headless Chromium. Chromium trusts the test certificate
// by its key's hash (--ignore-certificate-errors-spki-list: importing a
// CA into Chromium's NSS store needs certutil and a profile), so every
// other certificate check stays on. The page reports how many images
// decoded and scripts ran; the server saw each request over HTTP/2.
func TestChromiumH2Page(t *testing.T) {
	t.Parallel()
	chromium(t)
	dir := t.TempDir()
	const n = 25
	var page strings.Builder
	page.WriteString("<!doctype html><html><head><title>loading</title><script>var ran = 0;</script></head><body>\n")
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		img.Set(0, 0, color.RGBA{uint8(i), 0, 0, 255})
		var b bytes.Buffer
		png.Encode(&b, img)
		write(t, filepath.Join(dir, fmt.Sprintf("img%d.png", i)), b.Bytes())
		write(t, filepath.Join(dir, fmt.Sprintf("s%d.js", i)), []byte("ran++;\n"))
		fmt.Fprintf(&page, "<img src=\"img%d.png\"><script src=\"s%d.js\"></script>\n", i, i)
	}
	page.WriteString(`<script>
window.addEventListener("load", function () {
  var ok = 0;
  for (const im of document.images) { if (im.complete && im.naturalWidth === 4) ok++; }
  document.getElementById("result").textContent = "images " + ok + " scripts " + ran;
});
</script><p id="result">pending</p></body></html>`)
	write(t, filepath.Join(dir, "index.html"), []byte(page.String()))
	s := serveTLS(t, dir)
	leaf, err := x509.ParseCertificate(s.cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	dom := string(runChromium(t, "--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:]),
		"--virtual-time-budget=10000", "--dump-dom", "https://localhost:"+port(s.addr)+"/index.html"))
	if want := fmt.Sprintf("images %d scripts %d", n, n); !strings.Contains(dom, want) {
		t.Errorf("Chromium's DOM lacks %q:\n%.2000s", want, dom)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	paths := []string{"/index.html"}
	for i := range n {
		paths = append(paths, fmt.Sprintf("/img%d.png", i), fmt.Sprintf("/s%d.js", i))
	}
	for _, p := range paths {
		if got := s.proto[p]; got != "HTTP/2.0 200" {
			t.Errorf("%s: %q, want HTTP/2.0 200", p, got)
		}
	}
}

// TestH2LargeFile fetches an 8 MiB file over HTTP/2 with TLS, larger
// than every flow-control window: whole, a range across frame and window
// boundaries, a suffix range, and several ranges (multipart).
func TestH2LargeFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>12)
	}
	write(t, filepath.Join(dir, "big.bin"), big)
	s := serveTLS(t, dir)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http2.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.ca.Pool, ServerName: "localhost"},
		DialTLSContext: func(ctx context.Context, network, _ string, cfg *tls.Config) (net.Conn, error) {
			return tls.Dial(network, s.addr, cfg)
		},
	}}
	for _, tc := range []struct {
		name, rng string
		status    int
		want      []byte
		multipart bool
	}{
		{"whole", "", 200, big, false},
		{"middle", "bytes=65000-3500000", 206, big[65000:3500001], false},
		{"suffix", "bytes=-100000", 206, big[len(big)-100000:], false},
		{"two ranges", "bytes=0-9,5000000-5000009", 206, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "https://localhost/big.bin", nil)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.ProtoMajor != 2 || resp.StatusCode != tc.status {
				t.Fatalf("%s over %s, %v", resp.Status, resp.Proto, err)
			}
			if tc.multipart {
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") ||
					!bytes.Contains(got, big[:10]) || !bytes.Contains(got, big[5000000:5000010]) {
					t.Errorf("multipart: Content-Type %q, %d bytes", resp.Header.Get("Content-Type"), len(got))
				}
				return
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("%d bytes, want %d (equal: false)", len(got), len(tc.want))
			}
		})
	}
}

// TestH2FileRequests: requests for files larger than the cache over
// HTTP/2 with TLS, which go out read straight into DATA frames
// (web.SendFile), and the answers that do not: HEAD, conditional
// requests, a range across read batches, a precompressed sibling, and
// gzip on the fly.
func TestH2FileRequests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := make([]byte, 300000)
	for i := range bin {
		bin[i] = byte(i*7 + i>>12)
	}
	write(t, filepath.Join(dir, "f.bin"), bin)
	text := []byte(strings.Repeat("a compressible line of text, over and over\n", 5000))
	write(t, filepath.Join(dir, "t.txt"), text)
	write(t, filepath.Join(dir, "p.txt"), text)
	gz := gzipped(t, text[:100000]) // a sibling need not match: it is what is sent
	write(t, filepath.Join(dir, "p.txt.gz"), gz)
	cfg := static.Defaults(dir)
	s := serveTLSConfig(t, cfg)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http2.Transport{
		DisableCompression: true, // the answers are checked as sent
		TLSClientConfig:    &tls.Config{RootCAs: s.ca.Pool, ServerName: "localhost"},
		DialTLSContext: func(ctx context.Context, network, _ string, cfg *tls.Config) (net.Conn, error) {
			return tls.Dial(network, s.addr, cfg)
		},
	}}
	get := func(t *testing.T, method, path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "https://localhost"+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.ProtoMajor != 2 {
			t.Fatalf("%s over %s: %v", resp.Status, resp.Proto, err)
		}
		return resp, body
	}
	first, _ := get(t, "GET", "/f.bin")
	etag := first.Header.Get("ETag")
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		header   []string
		status   int
		body     []byte
		encoding string
		gunzip   bool // body is text gzipped on the fly
	}{
		{"whole", "GET", "/f.bin", nil, 200, bin, "", false},
		{"head", "HEAD", "/f.bin", nil, 200, nil, "", false},
		{"if-none-match", "GET", "/f.bin", []string{"If-None-Match", etag}, 304, nil, "", false},
		{"if-match fails", "GET", "/f.bin", []string{"If-Match", `"other"`}, 412, nil, "", false},
		{"range across batches", "GET", "/f.bin", []string{"Range", "bytes=1000-200000"}, 206, bin[1000:200001], "", false},
		{"if-range stale", "GET", "/f.bin", []string{"Range", "bytes=0-9", "If-Range", `"other"`}, 200, bin, "", false},
		{"precompressed", "GET", "/p.txt", []string{"Accept-Encoding", "gzip"}, 200, gz, "gzip", false},
		{"gzip on the fly", "GET", "/t.txt", []string{"Accept-Encoding", "gzip"}, 200, text, "gzip", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, tc.method, tc.path, tc.header...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if tc.method == "HEAD" && resp.ContentLength != int64(len(bin)) {
				t.Errorf("HEAD: Content-Length %d, want %d", resp.ContentLength, len(bin))
			}
			if tc.gunzip {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if tc.status != 412 && !bytes.Equal(body, tc.body) {
				t.Errorf("%d bytes, want %d (equal: false)", len(body), len(tc.body))
			}
		})
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
