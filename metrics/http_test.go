package metrics_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/brick-server/brick/accesslog"
	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/web"
)

// site is a router with a few routes and the Labels that name them.
func site(t *testing.T) (*router.Router, metrics.Labels) {
	t.Helper()
	hello := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		_, err := w.WriteString("Hello, World!")
		return err
	})
	boom := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		return web.Error(503, nil)
	})
	rt, err := router.New([]router.Site{
		{Name: "main", Hosts: []string{"example.com"}, Routes: []router.Route{
			{Prefix: "/api", Name: "api", Handler: hello},
			{Prefix: "/old/", Name: "old", Handler: router.Redirect("/new/", 301, true)},
			{Prefix: "/down", Name: "down", Handler: boom},
		}},
		{Name: "fallback", Routes: []router.Route{{Prefix: "/", Name: "all", Handler: hello}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	labels := func(r *web.Request) (string, string) {
		s, ro := rt.Match(r)
		switch {
		case s == nil:
			return "", ""
		case ro == nil:
			return s.Name, ""
		}
		return s.Name, ro.Name
	}
	return rt, labels
}

// TestScrape counts requests through the middleware and reads the counts
// back by scraping the admin endpoint over a socket, with and without an
// access log wrapper outside (whose recorder is then shared).
func TestScrape(t *testing.T) {
	for _, withLog := range []bool{false, true} {
		name := "alone"
		if withLog {
			name = "inside accesslog"
		}
		t.Run(name, func(t *testing.T) {
			reg := metrics.NewRegistry()
			rt, labels := site(t)
			m, err := metrics.NewHTTP(reg, labels)
			if err != nil {
				t.Fatal(err)
			}
			m.Init("main", "down")
			var h web.Handler = m.Wrap(rt)
			if withLog {
				out := accesslog.NewWriter(io.Discard)
				defer out.Close()
				h = accesslog.New(h, out, accesslog.Combined)
			}
			srv, url := serve(t, h)
			if err := metrics.RegisterConns(reg, srv.OpenConns, nil); err != nil {
				t.Fatal(err)
			}
			_, admin := serve(t, metrics.AdminHandler(reg, nil))

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
				{"main", "", "4xx", 4},
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

// A panicking handler is counted as the 500 the server answers.
func TestPanicCounted(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewHTTP(reg, func(*web.Request) (string, string) { return "s", "r" })
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, m.Wrap(web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error { panic("boom") })))
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, admin := serve(t, metrics.AdminHandler(reg, nil))
	if v := value(scrape(t, admin+"/metrics"), "brick_http_requests_total", l("site", "s", "route", "r", "code_class", "5xx")); v != 1 {
		t.Errorf("5xx = %v", v)
	}
	// Registering twice with one registry is refused, not a panic.
	if _, err := metrics.NewHTTP(reg, nil); err == nil {
		t.Error("second NewHTTP on one registry accepted")
	}
}
