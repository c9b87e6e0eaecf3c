package static_test

import (
	"testing"

	"github.com/brick-server/brick/static"
)

// TestPrefix serves the root under /static/, as a route of a site does:
// the prefix is stripped to name the file, kept in redirects, and a path
// outside it is 404.
func TestPrefix(t *testing.T) {
	s := newSite(t)
	cfg := defaults(s)
	cfg.Prefix = "/assets/"
	addr, _ := serve(t, cfg, false)
	tests := []struct {
		name, target string
		status       int
		body         string
		location     string
	}{
		{"file under the prefix", "/assets/hello.txt", 200, "Hello, static!\n", ""},
		{"directory redirect keeps the prefix", "/assets/site?x=1", 301, "", "/assets/site/?x=1"},
		{"index under the prefix", "/assets/site/", 200, "<!doctype html><title>site</title><p>index page</p>\n", ""},
		{"outside the prefix", "/hello.txt", 404, "", ""},
		{"prefix spelled differently", "/%61ssets/hello.txt", 404, "", ""},
		{"no escape through the prefix", "/assets/../secret.txt", 404, "", ""},
		{"encoded escape", "/assets/%2e%2e/secret.txt", 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, addr, "GET", tc.target)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, body)
			}
			if tc.body != "" && string(body) != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
		})
	}
	for _, bad := range []string{"assets/", "/assets", "x"} {
		c := defaults(s)
		c.Prefix = bad
		if _, err := static.New(c); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}
