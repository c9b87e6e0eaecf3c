package asgi_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
	"golang.org/x/net/http2"
)

// TestHTTP2 serves an ASGI application over HTTP/2 (h2c, prior
// knowledge): the scope says http_version "2" and carries the authority
// as the host header; a request body larger than the stream window
// arrives whole; a streamed response arrives event by event.
func TestHTTP2(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	addr := strings.TrimPrefix(g.url, "http://")
	c := &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
			return new(net.Dialer).DialContext(ctx, network, addr)
		},
	}}
	get := func(url string, body io.Reader) string {
		t.Helper()
		method := "GET"
		if body != nil {
			method = "POST"
		}
		req, _ := http.NewRequest(method, url, body)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.ProtoMajor != 2 || resp.StatusCode != 200 {
			t.Fatalf("%s %s: %s over %s, %v", method, url, resp.Status, resp.Proto, err)
		}
		return string(b)
	}
	var scope struct {
		HTTPVersion string  `json:"http_version"`
		Headers     [][]any `json:"headers"`
		Server      [2]any  `json:"server"`
		Scheme      string  `json:"scheme"`
	}
	if err := json.Unmarshal([]byte(get("http://h2.test/scope", nil)), &scope); err != nil {
		t.Fatal(err)
	}
	host := ""
	for _, h := range scope.Headers {
		if name, _ := h[0].(map[string]any); name["bytes"] == "host" {
			host, _ = h[1].(map[string]any)["bytes"].(string)
		}
	}
	if scope.HTTPVersion != "2" || host != "h2.test" || scope.Scheme != "http" {
		t.Errorf("scope: http_version %q, host %q, scheme %q", scope.HTTPVersion, host, scope.Scheme)
	}
	body := strings.Repeat("h2 body ", 100000)
	if got := get("http://h2.test/echo", strings.NewReader(body)); !strings.HasPrefix(got, "800000 ") {
		t.Errorf("echo of %d bytes: %q", len(body), got)
	}
	if got := get("http://h2.test/stream?5", nil); got != "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n" {
		t.Errorf("stream: %q", got)
	}
}
