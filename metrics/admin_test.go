package metrics_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/brick-server/brick/metrics"
)

func TestAdmin(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	reg := metrics.NewRegistry()
	_, admin := serve(t, metrics.AdminHandler(reg, healthy.Load), nil)
	get := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequest(method, admin+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	tests := []struct {
		method, path string
		healthy      bool
		status       int
		body         string
	}{
		{"GET", "/healthz", true, 200, "ok\n"},
		{"HEAD", "/healthz", true, 200, ""},
		{"GET", "/healthz", false, 503, "unhealthy\n"},
		{"GET", "/", true, 404, "Not Found\n"},
		{"GET", "/metrics/x", true, 404, "Not Found\n"},
		{"POST", "/metrics", true, 405, "Method Not Allowed\n"},
	}
	for _, tc := range tests {
		healthy.Store(tc.healthy)
		resp, body := get(tc.method, tc.path)
		if resp.StatusCode != tc.status || body != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
		if tc.path == "/healthz" && resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("healthz Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		if tc.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("Allow %q", resp.Header.Get("Allow"))
		}
	}
	// gzip for a scraper that asks for it (Go's client does by default).
	resp, body := get("GET", "/metrics")
	if resp.StatusCode != 200 || !resp.Uncompressed || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d, uncompressed by the client %v, %d bytes", resp.StatusCode, resp.Uncompressed, len(body))
	}
	// A nil health function is always healthy.
	_, admin2 := serve(t, metrics.AdminHandler(reg, nil), nil)
	if resp, err := http.Get(admin2 + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("nil healthy: %v %v", resp, err)
	}
}
