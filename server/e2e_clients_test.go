package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
)

// TestGoClient drives the server with net/http's client: connection reuse,
// bodies of known and unknown length, and 100-continue.
func TestGoClient(t *testing.T) {
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) { s.Limits.MaxBodyBytes = 1 << 20 })
		tr := &http.Transport{ExpectContinueTimeout: 5 * time.Second}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		url := "http://" + e.addr

		t.Run("keep-alive reuse", func(t *testing.T) {
			var reused []bool
			for range 5 {
				trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", url+"/", nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "Hello, World!" {
					t.Fatalf("%d %q", resp.StatusCode, b)
				}
			}
			for i, r := range reused {
				if r != (i > 0) {
					t.Fatalf("reused %v, want only the first request on a new connection", reused)
				}
			}
		})
		big := strings.Repeat("xyz", 300000)
		tests := []struct {
			name   string
			body   func() io.Reader
			header http.Header
			want   string
		}{
			{"Content-Length", func() io.Reader { return strings.NewReader("posted") }, nil, "posted"},
			{"chunked", func() io.Reader { return io.MultiReader(strings.NewReader("chu"), strings.NewReader("nked")) }, nil, "chunked"},
			{"large", func() io.Reader { return strings.NewReader(big) }, nil, big},
			{"100-continue", func() io.Reader { return strings.NewReader(big) }, http.Header{"Expect": {"100-continue"}}, big},
		}
		for _, tc := range tests {
			t.Run("POST "+tc.name, func(t *testing.T) {
				req, _ := http.NewRequest("POST", url+"/echo", tc.body())
				for k, v := range tc.header {
					req.Header[k] = v
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != 200 || string(b) != tc.want {
					t.Fatalf("%d, %d bytes, %v", resp.StatusCode, len(b), err)
				}
			})
		}
		// The server answers 413 and closes while the client is still
		// sending; without a lingering close the client's write fails with
		// a reset before it reads the response.
		over := strings.Repeat("o", 8<<20)
		for _, body := range []struct {
			name string
			r    func() io.Reader
		}{
			{"Content-Length", func() io.Reader { return strings.NewReader(over) }},
			{"chunked", func() io.Reader { return io.MultiReader(strings.NewReader(over)) }},
		} {
			t.Run("body over MaxBodyBytes, "+body.name, func(t *testing.T) {
				for range 5 {
					resp, err := client.Post(url+"/echo", "text/plain", body.r())
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != 413 {
						t.Fatalf("%d", resp.StatusCode)
					}
				}
			})
		}
		t.Run("100-continue refused", func(t *testing.T) {
			req, _ := http.NewRequest("POST", url+"/reject", strings.NewReader(big))
			req.Header.Set("Expect", "100-continue")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Fatalf("%d", resp.StatusCode)
			}
		})
	})
}

// command runs an external client, skipping (or failing, see
// testutil.Need) when it is not installed.
func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	path := testutil.LookPath(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s%s", name, args, err, out, stderr.Bytes())
	}
	return string(out)
}

// TestCurl runs curl against the server.
func TestCurl(t *testing.T) {
	testutil.LookPath(t, "curl")
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("from a file"), 0o644)
	large := filepath.Join(dir, "large")
	largeBody := strings.Repeat("0123456789", 200000)
	os.WriteFile(large, []byte(largeBody), 0o644)
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		url := "http://" + e.addr
		tests := []struct {
			name string
			args []string
			want []string // substrings of the output, starting in this order
			not  []string
		}{
			{"-i", []string{"-i", url + "/"},
				[]string{"HTTP/1.1 200 OK\r\n", "Content-Length: 13\r\n", "\r\n\r\nHello, World!"}, []string{"Connection:"}},
			{"--http1.0", []string{"-i", "--http1.0", url + "/"},
				[]string{"HTTP/1.1 200 OK\r\n", "Connection: close\r\n", "\r\n\r\nHello, World!"}, nil},
			{"-d @file", []string{"-d", "@" + small, url + "/echo"},
				[]string{"from a file"}, nil},
			// curl waits for the 100 Continue longer than --max-time allows.
			{"Expect: 100-continue with a large body", []string{"-H", "Expect: 100-continue", "--expect100-timeout", "30", "--max-time", "5", "--data-binary", "@" + large, url + "/len"},
				[]string{"2000000"}, nil},
			{"--raw chunked", []string{"-i", "--raw", url + "/flushed"},
				[]string{"Transfer-Encoding: chunked\r\n", "\r\n\r\n5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n"}, []string{"Content-Length"}},
			{"HEAD", []string{"-I", url + "/"},
				[]string{"HTTP/1.1 200 OK\r\n", "Content-Length: 13\r\n"}, []string{"Hello"}},
			{"two URLs on one connection", []string{"-v", url + "/query?one", url + "/query?two"},
				[]string{"one", "two"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out := command(t, "curl", append([]string{"-sS", "--max-time", "10"}, tc.args...)...)
				at := 0 // each wanted string starts at or after the previous one
				for _, w := range tc.want {
					i := strings.Index(out[at:], w)
					if i < 0 {
						t.Fatalf("output lacks %q (after byte %d):\n%s", w, at, out)
					}
					at += i
				}
				for _, n := range tc.not {
					if strings.Contains(out, n) {
						t.Fatalf("output has %q:\n%s", n, out)
					}
				}
			})
		}
	})
}

// TestPython runs Python's http.client against the server: keep-alive,
// a POST and a chunked response.
func TestPython(t *testing.T) {
	testutil.LookPath(t, "python3")
	const script = `
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=10)
for i in range(3):
    c.request("GET", "/query?%d" % i)
    r = c.getresponse()
    print(r.status, r.read().decode())
c.request("POST", "/echo", body=b"py-body", headers={"Content-Type": "text/plain"})
r = c.getresponse()
print(r.status, r.read().decode())
c.request("GET", "/flushed")
r = c.getresponse()
print(r.status, r.getheader("Transfer-Encoding"), r.read().decode())
c.request("HEAD", "/")
r = c.getresponse()
print(r.status, r.getheader("Content-Length"), repr(r.read()))
print("sock", c.sock is not None)
`
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		out := command(t, "python3", "-c", script, e.addr)
		want := "200 0\n200 1\n200 2\n200 py-body\n200 chunked firstsecond\n200 13 b''\nsock True\n"
		if out != want {
			t.Fatalf("got:\n%s\nwant:\n%s", out, want)
		}
	})
}

// TestIPv6 serves on [::1]:0.
func TestIPv6(t *testing.T) {
	runPlain(t, func(t *testing.T, m mode) {
		ln, err := server.Listen("[::1]:0", server.ListenConfig{})
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		e := m.serve(t, ln, newApp(), nil)
		c, br := e.dial(t)
		write(t, c, "GET /query?v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n")
		if r := readResponse(t, br, "GET"); r.StatusCode != 200 || r.body != "v6" {
			t.Fatalf("%d %q", r.StatusCode, r.body)
		}
	})
}
