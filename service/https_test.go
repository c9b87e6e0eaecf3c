package service_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
)

// TestPlainRedirects: on a plain listener, a site served over HTTPS (here
// with certificate files) is redirected to https:// with 308, path and
// query kept, as the router would pick the site (exact name, wildcard,
// default site); a site with tls = "off" is served in plain HTTP.
func TestPlainRedirects(t *testing.T) {
	conf := `
[server]
listen = ["127.0.0.1:0"]
listen_tls = ["127.0.0.1:0"]
[log]
access = "off"

[[site]]
hosts = ["secure.test", "*.wild.test"]
tls = { cert = "c.pem", key = "k.pem" }
  [[site.route]]
  path = "/"
  respond = { body = "secure" }

[[site]]
hosts = ["plain.test"]
tls = "off"
  [[site.route]]
  path = "/"
  respond = { body = "plain" }

[[site]]
tls = { cert = "c.pem", key = "k.pem" }
  [[site.route]]
  path = "/"
  respond = { body = "default" }
`
	f := load(t, conf, func(dir string) {
		ca := testutil.NewCA(t)
		cert, key := ca.Issue(t, "secure.test", "*.wild.test", "other.test")
		for name, data := range map[string][]byte{"c.pem": cert, "k.pem": key} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	})
	tests := []struct {
		name, host, target string
		status             int
		location, body     string
	}{
		{"exact name, path and query", "secure.test", "/a/%20b?q=1&r", 308, "https://secure.test/a/%20b?q=1&r", ""},
		{"port and case", "SECURE.test:8080", "/", 308, "https://secure.test/", ""},
		{"wildcard", "x.wild.test", "/p", 308, "https://x.wild.test/p", ""},
		{"tls off stays plain", "plain.test", "/p", 200, "", "plain"},
		{"default site over HTTPS", "other.test", "/", 308, "https://other.test/", ""},
		{"IP address", "127.0.0.1", "/x", 308, "https://127.0.0.1/x", ""},
		{"challenge path of a files site: redirected too", "secure.test", "/.well-known/acme-challenge/x", 308, "https://secure.test/.well-known/acme-challenge/x", ""},
	}
	// A request without a name for the default site, served over HTTPS,
	// cannot be redirected, nor served in plain HTTP.
	c, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost:\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 {
		t.Errorf("empty Host: %d, want 400", resp.StatusCode)
	}
	resp.Body.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", f.base+tc.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location || tc.body != "" && body != tc.body {
				t.Fatalf("%d Location %q body %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Location"), body, tc.status, tc.location, tc.body)
			}
		})
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
