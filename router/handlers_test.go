package router_test

import (
	"testing"

	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/web"
)

func TestRedirect(t *testing.T) {
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/old/", Handler: router.Redirect("https://new.example/docs/", 301, true)},
		{Prefix: "/bare", Handler: router.Redirect("https://new.example/b", 308, true)},
		{Prefix: "/home/", Handler: router.Redirect("/", 302, true)},
		{Prefix: "/fixed", Handler: router.Redirect("https://new.example/", 307, false)},
		{Prefix: "/", Handler: router.Redirect("/welcome", 303, true)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target   string
		status   int
		location string
	}{
		{"/old/a/b?x=1&y=%20", 301, "https://new.example/docs/a/b?x=1&y=%20"},
		{"/old/", 301, "https://new.example/docs/"},
		{"/old/?q", 301, "https://new.example/docs/?q"},
		{"/old/a?", 301, "https://new.example/docs/a?"},
		{"/old/caf%C3%A9%20menu", 301, "https://new.example/docs/caf%C3%A9%20menu"},
		{"/old/a%2fb", 301, "https://new.example/docs/a/b"},
		{"/old/%7Euser/x%3Fy", 301, "https://new.example/docs/~user/x%3Fy"},
		{"/old/./a/../b", 301, "https://new.example/docs/b"},
		{"/bare", 308, "https://new.example/b"},
		{"/bare/", 308, "https://new.example/b/"},
		{"/bare/x", 308, "https://new.example/b/x"},
		// Never a network-path reference ("//evil.com") from a path.
		{"/home//evil.com/x", 302, "/evil.com/x"},
		{"/home/%2F%2Fevil.com", 302, "/evil.com"},
		{"/fixed/a?b", 307, "https://new.example/"},
		{"/x/y", 303, "/welcome/x/y"},
		{"/", 303, "/welcome"},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			w := &recorder{}
			if err := rt.ServeHTTP(w, get(t, "x", tc.target)); err != nil {
				t.Fatal(err)
			}
			if w.status != tc.status || string(w.h.Get("Location")) != tc.location || w.h.Count("Location") != 1 {
				t.Errorf("got %d %q, want %d %q", w.status, w.h.Get("Location"), tc.status, tc.location)
			}
			if w.body.String() == "" || len(w.body.String()) > 32 {
				t.Errorf("body %q", w.body.String())
			}
		})
	}
	w := &recorder{}
	rt.ServeHTTP(w, parse(t, "HEAD /old/a HTTP/1.1\r\nHost: x\r\n\r\n"))
	if w.status != 301 || w.body.Len() != 0 {
		t.Errorf("HEAD: %d %q", w.status, w.body.String())
	}
	// Outside a router there is no prefix: the whole path is kept.
	w = &recorder{}
	router.Redirect("https://b.example", 301, true).ServeHTTP(w, get(t, "x", "/p/q?r"))
	if got := string(w.h.Get("Location")); got != "https://b.example/p/q?r" {
		t.Errorf("standalone: %q", got)
	}
	if err := router.Redirect("/x", 200, false).ServeHTTP(&recorder{}, get(t, "x", "/")); web.StatusOf(err) != 500 {
		t.Errorf("bad status outside a router: %v", err)
	}
}

func TestRespond(t *testing.T) {
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/robots.txt", Handler: router.Respond(200, "text/plain", "User-agent: *\nDisallow: /\n")},
		{Prefix: "/gone", Handler: router.Respond(410, "", "")},
		{Prefix: "/empty", Handler: router.Respond(204, "", "")},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target string
		status         int
		ctype, clen    string
		body           string
	}{
		{"GET", "/robots.txt", 200, "text/plain", "26", "User-agent: *\nDisallow: /\n"},
		{"HEAD", "/robots.txt", 200, "text/plain", "26", ""},
		{"POST", "/robots.txt", 200, "text/plain", "26", "User-agent: *\nDisallow: /\n"},
		{"GET", "/gone", 410, "", "0", ""},
		{"GET", "/empty", 204, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			w := &recorder{}
			if err := rt.ServeHTTP(w, parse(t, tc.method+" "+tc.target+" HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			if w.status != tc.status || string(w.h.Get("Content-Type")) != tc.ctype ||
				string(w.h.Get("Content-Length")) != tc.clen || w.body.String() != tc.body {
				t.Errorf("got %d %q %q %q", w.status, w.h.Get("Content-Type"), w.h.Get("Content-Length"), w.body.String())
			}
		})
	}
}
