//go:build !race

package router_test

import (
	"testing"

	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/web"
)

// TestAllocs: routing a request, the built-in handlers, route headers, a
// declared body under MaxBody and Match allocate nothing.
func TestAllocs(t *testing.T) {
	ok := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error { return nil })
	sites := testSites()
	sites = append(sites[:len(sites)-1], router.Site{Hosts: []string{"*"}, Routes: []router.Route{
		{Prefix: "/moved/", Handler: router.Redirect("https://new.example/", 301, true)},
		{Prefix: "/robots.txt", Handler: router.Respond(200, "text/plain", "User-agent: *\n")},
		{Prefix: "/upload", Handler: ok, MaxBody: 1 << 20, Headers: []router.Header{{"X-Frame-Options", "DENY"}}},
		{Prefix: "/", Handler: ok},
	}})
	rt, err := router.New(sites)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, raw string }{
		{"clean path", "GET /static/app.css HTTP/1.1\r\nHost: www.example.com\r\n\r\n"},
		{"wildcard host with port", "GET /x HTTP/1.1\r\nHost: A.Deep.Example.com:8080\r\n\r\n"},
		{"normalised path", "GET /public/%2e%2e/caf%C3%A9//menu?x HTTP/1.1\r\nHost: example.com\r\n\r\n"},
		{"redirect", "GET /moved/a/caf%C3%A9?q=1 HTTP/1.1\r\nHost: other\r\n\r\n"},
		{"respond", "GET /robots.txt HTTP/1.1\r\nHost: other\r\n\r\n"},
		{"body under MaxBody", "POST /upload HTTP/1.1\r\nHost: other\r\nContent-Length: 100\r\n\r\n"},
		{"404", "GET / HTTP/1.1\r\nHost: only-api.test\r\n\r\n"},
		{"400", "GET /../x HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parse(t, tc.raw)
			w := &nopWriter{}
			run := func() {
				w.h.Reset()
				rt.ServeHTTP(w, r)
				rt.Match(r)
			}
			run()
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
		})
	}
}
