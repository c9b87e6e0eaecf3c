package metrics_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/accesslog"
	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// site is a router with a few routes; it records their names on the
// requests it routes.
func site(t *testing.T) *router.Router {
	t.Helper()
	hello := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		_, err := w.WriteString("Hello, World!")
		return err
	})
	boom := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		return web.Error(503, nil)
	})
	odd := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		w.WriteHeader(742)
		return nil
	})
	rt, err := router.New([]router.Site{
		{Name: "main", Hosts: []string{"example.com"}, Routes: []router.Route{
			{Prefix: "/api", Name: "api", Handler: hello},
			{Prefix: "/old/", Name: "old", Handler: router.Redirect("/new/", 301, true)},
			{Prefix: "/down", Name: "down", Handler: boom},
			{Prefix: "/odd", Name: "odd", Handler: odd},
		}},
		{Name: "fallback", Routes: []router.Route{{Prefix: "/", Name: "all", Handler: hello}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestScrape counts requests the server reports and reads the counts back
// by scraping the admin endpoint over a socket, alone and beside an access
// log.
func TestScrape(t *testing.T) {
	for _, withLog := range []bool{false, true} {
		name := "alone"
		if withLog {
			name = "inside accesslog"
		}
		t.Run(name, func(t *testing.T) {
			reg := metrics.NewRegistry()
			rt := site(t)
			m, err := metrics.NewHTTP(reg)
			if err != nil {
				t.Fatal(err)
			}
			m.Init("main", "down")
			var obs web.Observer = m
			if withLog {
				out := accesslog.NewWriter(io.Discard)
				defer out.Close()
				obs = web.Observers{accesslog.New(out, accesslog.Combined), m}
			}
			srv, url := serve(t, rt, obs)
			if err := metrics.RegisterConns(reg, srv.OpenConns, nil); err != nil {
				t.Fatal(err)
			}
			_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)

			before := scrape(t, admin+"/metrics")
			if v := value(before, "brick_http_requests_total", l("site", "main", "route", "down", "code_class", "5xx")); v != 0 {
				t.Errorf("Init: down 5xx = %v, want 0", v)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			do := func(host, path string, n int) {
				for range n {
					req, _ := http.NewRequest("GET", url+path, nil)
					req.Host = host
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
			do("example.com", "/api/x", 5)
			do("example.com", "/old/page", 2)
			do("example.com", "/down", 3)
			do("example.com", "/nothing", 4) // no route
			do("example.com", "/odd", 2)
			do("other.test", "/", 1)

			fams := scrape(t, admin+"/metrics")
			counts := []struct {
				site, route, class string
				want               float64
			}{
				{"main", "api", "2xx", 5},
				{"main", "api", "4xx", 0},
				{"main", "old", "3xx", 2},
				{"main", "down", "5xx", 3},
				{"none", "none", "4xx", 4},
				{"main", "odd", "other", 2},
				{"fallback", "all", "2xx", 1},
			}
			for _, c := range counts {
				if v := value(fams, "brick_http_requests_total", l("site", c.site, "route", c.route, "code_class", c.class)); v != c.want {
					t.Errorf("requests{%s,%s,%s} = %v, want %v", c.site, c.route, c.class, v, c.want)
				}
			}
			if v := value(fams, "brick_http_response_bytes_total", l("site", "main", "route", "api")); v != 5*13 {
				t.Errorf("bytes{main,api} = %v, want 65", v)
			}
			if v := value(fams, "brick_http_response_bytes_total", l("site", "main", "route", "down")); v != 3*float64(len("Service Unavailable\n")) {
				t.Errorf("bytes{main,down} = %v", v)
			}
			hm := sample(fams, "brick_http_request_duration_seconds", l("site", "main", "route", "api"))
			if hm == nil || hm.Histogram.GetSampleCount() != 5 || hm.Histogram.GetSampleSum() <= 0 || len(hm.Histogram.Bucket) != len(metrics.DurationBuckets)+1 /* and +Inf */ {
				t.Errorf("duration{main,api} = %v", hm)
			}
			if v := value(fams, "brick_http_open_connections", nil); v < 1 {
				t.Errorf("open connections = %v", v)
			}
			for _, std := range []string{"go_goroutines", "process_resident_memory_bytes", "promhttp_metric_handler_errors_total"} {
				if fams[std] == nil {
					t.Errorf("no %s", std)
				}
			}
			if !strings.HasPrefix(fams["brick_http_requests_total"].GetHelp(), "HTTP requests") {
				t.Errorf("help %q", fams["brick_http_requests_total"].GetHelp())
			}
		})
	}
}

// A panicking handler is counted as the 500 the server answers, under
// the names recorded on the request before it panicked.
func TestPanicCounted(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		r.Site, r.Route = "s", "r"
		panic("boom")
	}), m)
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	if v := value(scrape(t, admin+"/metrics"), "brick_http_requests_total", l("site", "s", "route", "r", "code_class", "5xx")); v != 1 {
		t.Errorf("5xx = %v", v)
	}
	// Registering twice with one registry is refused, not a panic.
	if _, err := metrics.NewHTTP(reg); err == nil {
		t.Error("second NewHTTP on one registry accepted")
	}
}

// TestServerAnswersCounted: what the server answers itself is counted as
// it was sent. A request body that stops coming is the client's 408 (4xx),
// not the 500 a middleware would guess from the handler's read error.
func TestServerAnswersCounted(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := router.New([]router.Site{{Name: "main", Routes: []router.Route{{Prefix: "/", Name: "upload",
		Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			_, err := io.Copy(io.Discard, r.Body)
			return err
		})}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, rt, m, func(s *server.Server) { s.Timeouts.Read = 200 * time.Millisecond })
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 408 {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	fams := scrape(t, admin+"/metrics")
	for class, want := range map[string]float64{"4xx": 1, "5xx": 0} {
		if v := value(fams, "brick_http_requests_total", l("site", "main", "route", "upload", "code_class", class)); v != want {
			t.Errorf("requests{main,upload,%s} = %v, want %v", class, v, want)
		}
	}
}

// TestBadHeadCounted: a request whose head the server answered itself
// reaches no router, so it is counted under site and route "none" with
// the status it was sent: the label set stays fixed whatever the client
// sends.
func TestBadHeadCounted(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error { return nil }), m,
		func(s *server.Server) { s.Limits.MaxHeaderBytes = 1024 })
	tests := []struct {
		name, raw string
		status    int
	}{
		{"bad request line", "GET\x01/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"header too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2048) + "\r\n\r\n", 431},
		{"bad version", "GET /x HTTP/2.5\r\nHost: x\r\n\r\n", 505},
		{"unknown transfer coding", "POST /y HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd, chunked\r\n\r\n", 501},
	}
	for _, tc := range tests {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, tc.raw)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil || resp.StatusCode != tc.status {
			t.Fatalf("%s: response %v, %v; want %d", tc.name, resp, err, tc.status)
		}
	}
	_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	fams := scrape(t, admin+"/metrics")
	for class, want := range map[string]float64{"4xx": 2, "5xx": 2} {
		if v := value(fams, "brick_http_requests_total", l("site", "none", "route", "none", "code_class", class)); v != want {
			t.Errorf("requests{none,none,%s} = %v, want %v", class, v, want)
		}
	}
}
