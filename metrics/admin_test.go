package metrics_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/metrics"
)

func TestAdmin(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	reg := metrics.NewRegistry()
	_, admin := serve(t, metrics.AdminHandler(reg, healthy.Load, nil), nil)
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
	_, admin2 := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	if resp, err := http.Get(admin2 + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("nil healthy: %v %v", resp, err)
	}
}

// TestAdminUpstreams: /upstreams is served only when the handler has a
// snapshot function, grouping the upstreams by route.
func TestAdminUpstreams(t *testing.T) {
	reg := metrics.NewRegistry()
	at := time.Date(2026, 12, 6, 0, 0, 5, 0, time.UTC)
	snap := func() []metrics.ProxyUpstream {
		return []metrics.ProxyUpstream{
			{Route: "/api/", Upstream: "http://a:80", Healthy: true, Available: true, Active: 2, Idle: 3, Checked: at},
			{Route: "/api/", Upstream: "http://b:80", Failures: 4, Checked: at, CheckError: "status 500"},
			{Route: "/old/", Upstream: "http://c:80", Available: true, Healthy: true},
		}
	}
	tests := []struct {
		name   string
		stats  metrics.ProxyStats
		status int
		want   string
	}{
		{"no proxy", nil, 404, "Not Found\n"},
		{"two routes", snap, 200, `{
  "routes": [
    {
      "route": "/api/",
      "upstreams": [
        {
          "url": "http://a:80",
          "healthy": true,
          "available": true,
          "in_flight": 2,
          "idle_connections": 3,
          "failures": 0,
          "last_check": "2026-12-06T00:00:05Z"
        },
        {
          "url": "http://b:80",
          "healthy": false,
          "available": false,
          "in_flight": 0,
          "idle_connections": 0,
          "failures": 4,
          "last_check": "2026-12-06T00:00:05Z",
          "last_check_error": "status 500"
        }
      ]
    },
    {
      "route": "/old/",
      "upstreams": [
        {
          "url": "http://c:80",
          "healthy": true,
          "available": true,
          "in_flight": 0,
          "idle_connections": 0,
          "failures": 0,
          "last_check": null
        }
      ]
    }
  ]
}
`},
		{"empty", func() []metrics.ProxyUpstream { return nil }, 200, "{\n  \"routes\": []\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, admin := serve(t, metrics.AdminHandler(reg, nil, tc.stats), nil)
			resp, err := http.Get(admin + "/upstreams")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || string(b) != tc.want {
				t.Errorf("GET /upstreams: %d\n%s\nwant %d\n%s", resp.StatusCode, b, tc.status, tc.want)
			}
		})
	}
}
