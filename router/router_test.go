package router_test

import (
	"strings"
	"testing"

	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/web"
)

// testSites are the sites most tests route through.
func testSites() []router.Site {
	return []router.Site{
		{Name: "main", Hosts: []string{"example.com", "www.example.com"}, Routes: []router.Route{
			{Prefix: "/admin", Handler: named("admin")},
			{Prefix: "/static/", Handler: named("static"), Name: "files"},
			{Prefix: "/api", Handler: named("api")},
			{Prefix: "/caf\u00e9/", Handler: named("cafe")},
			{Prefix: "/", Handler: named("app")},
		}},
		{Hosts: []string{"*.example.com"}, Routes: []router.Route{
			{Handler: named("wild")},
		}},
		{Hosts: []string{"*.deep.example.com", "[::1]"}, Routes: []router.Route{
			{Prefix: "/", Handler: named("deep")},
		}},
		{Hosts: []string{"only-api.test"}, Routes: []router.Route{
			{Prefix: "/api/", Handler: named("only-api")},
		}},
		{Hosts: []string{"*"}, Routes: []router.Route{
			{Prefix: "/", Handler: named("default")},
		}},
	}
}

func TestRoute(t *testing.T) {
	rt, err := router.New(testSites())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, host, target string
		status             int
		body               string // the handler that answered
		site, route        string // Match's names; "" for nil
	}{
		{"exact host", "example.com", "/", 200, "app", "main", "/"},
		{"second host", "www.example.com", "/x", 200, "app", "main", "/"},
		{"host case and port", "EXAMPLE.com:8080", "/", 200, "app", "main", "/"},
		{"host trailing dot", "example.com.", "/", 200, "app", "main", "/"},
		{"wildcard", "a.example.com", "/", 200, "wild", "*.example.com", "/"},
		{"wildcard two labels", "a.b.example.com", "/", 200, "wild", "*.example.com", "/"},
		{"longest wildcard", "a.deep.example.com", "/", 200, "deep", "*.deep.example.com", "/"},
		{"wildcard not its bare suffix", "deep.example.com", "/", 200, "wild", "*.example.com", "/"},
		{"ipv6 literal", "[::1]:8888", "/", 200, "deep", "*.deep.example.com", "/"},
		{"unknown host: default", "other.test", "/", 200, "default", "default", "/"},
		{"not a suffix match", "notexample.com", "/", 200, "default", "default", "/"},
		{"no route in site", "only-api.test", "/", 404, "", "only-api.test", ""},
		{"route in site", "only-api.test", "/api/v1", 200, "only-api", "only-api.test", "/api/"},
		{"exact prefix", "example.com", "/api", 200, "api", "main", "/api"},
		{"under prefix", "example.com", "/api/x/y", 200, "api", "main", "/api"},
		{"prefix is not a word prefix", "example.com", "/apix", 200, "app", "main", "/"},
		{"slash prefix", "example.com", "/static/a.css", 200, "static", "main", "files"},
		{"slash prefix needs the slash", "example.com", "/static", 200, "app", "main", "/"},
		{"first route wins", "example.com", "/admin/users", 200, "admin", "main", "/admin"},
		{"query is not path", "example.com", "/api?x=/admin", 200, "api", "main", "/api"},
		{"absolute-form target's host", "ignored.test", "http://example.com/api", 200, "api", "main", "/api"},
		// What a decoding handler would see decides the route.
		{"dot-segments", "example.com", "/public/../admin", 200, "admin", "main", "/admin"},
		{"encoded dot-segments", "example.com", "/public/%2e%2E/admin", 200, "admin", "main", "/admin"},
		{"encoded letter", "example.com", "/%61dmin", 200, "admin", "main", "/admin"},
		{"encoded slash", "example.com", "/admin%2Fusers", 200, "admin", "main", "/admin"},
		{"double slash", "example.com", "//admin", 200, "admin", "main", "/admin"},
		{"dot segment into static", "example.com", "/static/./a.css", 200, "static", "main", "files"},
		{"out of static", "example.com", "/static/../api/x", 200, "api", "main", "/api"},
		{"utf-8 prefix", "example.com", "/caf%C3%A9/menu", 200, "cafe", "main", "/café/"},
		{"above the root", "example.com", "/../admin", 400, "", "main", ""},
		{"encoded above the root", "example.com", "/%2e%2e/admin", 400, "", "main", ""},
		{"backslash", "example.com", "/admin\\x", 400, "", "main", ""},
		{"encoded backslash", "example.com", "/x%5C..%5Cadmin", 400, "", "main", ""},
		{"bad escape", "example.com", "/a%zz", 400, "", "main", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, tc.host, tc.target)
			w := &recorder{}
			err := rt.ServeHTTP(w, r)
			status := 200
			if err != nil {
				status = web.StatusOf(err)
			}
			if status != tc.status || w.body.String() != tc.body {
				t.Errorf("got %d %q (err %v), want %d %q", status, w.body.String(), err, tc.status, tc.body)
			}
			site, route := rt.Match(r)
			var sn, rn string
			if site != nil {
				sn = site.Name
			}
			if route != nil {
				rn = route.Name
			}
			if sn != tc.site || rn != tc.route {
				t.Errorf("Match = %q, %q; want %q, %q", sn, rn, tc.site, tc.route)
			}
			if r.Site != tc.site || r.Route != tc.route {
				t.Errorf("recorded %q, %q; want %q, %q", r.Site, r.Route, tc.site, tc.route)
			}
		})
	}
}

// A target without a path (OPTIONS *) is matched as "/".
func TestAsterisk(t *testing.T) {
	rt, err := router.New(testSites())
	if err != nil {
		t.Fatal(err)
	}
	r := parse(t, "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n")
	w := &recorder{}
	if err := rt.ServeHTTP(w, r); err != nil || w.body.String() != "app" {
		t.Errorf("OPTIONS *: %v %q", err, w.body.String())
	}
}

func TestNoDefaultSite(t *testing.T) {
	rt, err := router.New([]router.Site{{Hosts: []string{"a.test"}, Routes: []router.Route{{Handler: named("a")}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"b.test", "", "[::1]"} {
		r := parse(t, "GET / HTTP/1.0\r\nHost: "+host+"\r\n\r\n")
		if err := rt.ServeHTTP(&recorder{}, r); web.StatusOf(err) != 404 {
			t.Errorf("host %q: %v, want a 404", host, err)
		}
		if s, ro := rt.Match(r); s != nil || ro != nil {
			t.Errorf("host %q: Match = %v, %v", host, s, ro)
		}
	}
	// HTTP/1.0 without a Host goes to the default site when there is one.
	rt, _ = router.New([]router.Site{{Routes: []router.Route{{Handler: named("d")}}}})
	w := &recorder{}
	if err := rt.ServeHTTP(w, parse(t, "GET / HTTP/1.0\r\n\r\n")); err != nil || w.body.String() != "d" {
		t.Errorf("no Host: %v %q", err, w.body.String())
	}
}

func TestNewRefuses(t *testing.T) {
	h := named("x")
	tests := []struct {
		name  string
		sites []router.Site
		want  string
	}{
		{"two defaults", []router.Site{{Routes: []router.Route{{Handler: h}}}, {Hosts: []string{"*"}}}, "second default"},
		{"host twice", []router.Site{{Hosts: []string{"a.test"}}, {Hosts: []string{"A.test."}}}, "already"},
		{"wildcard twice", []router.Site{{Hosts: []string{"*.a.test"}}, {Hosts: []string{"*.a.test"}}}, "already"},
		{"port in host", []router.Site{{Hosts: []string{"a.test:80"}}}, "host"},
		{"empty label", []router.Site{{Hosts: []string{"a..test"}}}, "empty label"},
		{"inner wildcard", []router.Site{{Hosts: []string{"a.*.test"}}}, "host"},
		{"bad ipv6", []router.Site{{Hosts: []string{"[zz]"}}}, "IPv6"},
		{"no handler", []router.Site{{Routes: []router.Route{{Prefix: "/"}}}}, "no handler"},
		{"relative prefix", []router.Site{{Routes: []router.Route{{Prefix: "api", Handler: h}}}}, "prefix"},
		{"dot prefix", []router.Site{{Routes: []router.Route{{Prefix: "/a/../b", Handler: h}}}}, "prefix"},
		{"bad header name", []router.Site{{Routes: []router.Route{{Handler: h, Headers: []router.Header{{"X Y", "v"}}}}}}, "header"},
		{"header value with CRLF", []router.Site{{Routes: []router.Route{{Handler: h, Headers: []router.Header{{"X-Y", "a\r\nb"}}}}}}, "header"},
		{"negative MaxBody", []router.Site{{Routes: []router.Route{{Handler: h, MaxBody: -1}}}}, "negative"},
		{"redirect status", []router.Site{{Routes: []router.Route{{Handler: router.Redirect("/x", 200, false)}}}}, "redirect status"},
		{"redirect target", []router.Site{{Routes: []router.Route{{Handler: router.Redirect("", 301, false)}}}}, "redirect target"},
		{"redirect target with CRLF", []router.Site{{Routes: []router.Route{{Handler: router.Redirect("/a\r\nSet-Cookie: x", 301, false)}}}}, "redirect target"},
		{"respond status", []router.Site{{Routes: []router.Route{{Handler: router.Respond(99, "", "")}}}}, "status"},
		{"respond 204 body", []router.Site{{Routes: []router.Route{{Handler: router.Respond(204, "", "x")}}}}, "no body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := router.New(tc.sites)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// New copies what it is given.
func TestNewCopies(t *testing.T) {
	sites := []router.Site{{Hosts: []string{"a.test"}, Routes: []router.Route{{Prefix: "/x", Handler: named("x")}}}}
	rt, err := router.New(sites)
	if err != nil {
		t.Fatal(err)
	}
	sites[0].Hosts[0] = "b.test"
	sites[0].Routes[0].Prefix = "/y"
	sites[0].Routes[0].Handler = named("y")
	w := &recorder{}
	if err := rt.ServeHTTP(w, get(t, "a.test", "/x")); err != nil || w.body.String() != "x" {
		t.Errorf("after changing the input: %v %q", err, w.body.String())
	}
	if got := rt.Sites(); len(got) != 1 || got[0].Name != "a.test" || got[0].Routes[0].Name != "/x" {
		t.Errorf("Sites() = %+v", got[0])
	}
}

func TestHeaders(t *testing.T) {
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/err", Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error { return web.Error(403, nil) }),
			Headers: []router.Header{{"X-Frame-Options", "DENY"}}},
		{Prefix: "/", Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			w.Header().Set("Cache-Control", "no-store")
			return nil
		}), Headers: []router.Header{{"X-Frame-Options", "DENY"}, {"Cache-Control", "public"}, {"X-Two", "1"}, {"X-Two", "2"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	w := &recorder{}
	rt.ServeHTTP(w, get(t, "x", "/"))
	if v := string(w.h.Get("X-Frame-Options")); v != "DENY" {
		t.Errorf("X-Frame-Options %q", v)
	}
	if v := string(w.h.Get("Cache-Control")); v != "no-store" || w.h.Count("Cache-Control") != 1 {
		t.Errorf("a handler's Set replaces a route header: %q", v)
	}
	if w.h.Count("X-Two") != 2 {
		t.Errorf("repeated route header: %d", w.h.Count("X-Two"))
	}
	w = &recorder{}
	if err := rt.ServeHTTP(w, get(t, "x", "/err")); web.StatusOf(err) != 403 || string(w.h.Get("X-Frame-Options")) != "DENY" {
		t.Errorf("error response: %v, header %q", err, w.h.Get("X-Frame-Options"))
	}
}

// TestInternalRoute: a route marked Internal answers only ServeInternal
// (an application's X-Accel-Redirect); from outside it is 404, and the
// routes after it do not take its paths either, as nginx's internal
// locations.
func TestInternalRoute(t *testing.T) {
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/protected/", Handler: named("files"), Internal: true},
		{Prefix: "/", Handler: named("app")},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		internal bool
		target   string
		status   int
		body     string
	}{
		{"outside: internal route", false, "/protected/a.iso", 404, ""},
		{"outside: dot-segments into it", false, "/x/../protected/a.iso", 404, ""},
		{"outside: other route", false, "/page", 200, "app"},
		{"internal: internal route", true, "/protected/a.iso", 200, "files"},
		{"internal: other route", true, "/page", 200, "app"},
	} {
		w := &recorder{}
		serve := rt.ServeHTTP
		if tc.internal {
			serve = rt.ServeInternal
		}
		err := serve(w, get(t, "example.com", tc.target))
		status := 200
		if err != nil {
			status = web.StatusOf(err)
		}
		if status != tc.status || w.body.String() != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, w.body.String(), tc.status, tc.body)
		}
	}
}
