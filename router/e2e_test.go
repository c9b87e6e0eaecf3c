package router_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/prometheus/client_golang/prometheus"
)

// models runs f with both connection models of the server.
func models(t *testing.T, f func(t *testing.T, perConn bool)) {
	for _, perConn := range []bool{false, true} {
		name := "epoll"
		if perConn {
			name = "goroutine"
		}
		t.Run(name, func(t *testing.T) { f(t, perConn) })
	}
}

func model(perConn bool) func(*server.Server) {
	return func(s *server.Server) { s.GoroutinePerConn = perConn }
}

// TestWire routes raw requests through a real server.
func TestWire(t *testing.T) {
	rt, err := router.New(testSites())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw    string
		status int
		body   string
	}{
		{"GET /api/x HTTP/1.1\r\nHost: example.com\r\n\r\n", 200, "api"},
		{"GET / HTTP/1.1\r\nHost: a.example.com:8888\r\n\r\n", 200, "wild"},
		{"GET / HTTP/1.0\r\n\r\n", 200, "default"},
		{"GET /public/../admin HTTP/1.1\r\nHost: example.com\r\n\r\n", 200, "admin"},
		{"GET /%61dmin HTTP/1.1\r\nHost: example.com\r\n\r\n", 200, "admin"},
		{"GET /../admin HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "Bad Request\n"},
		{"GET /a%5c..%5cadmin HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "Bad Request\n"},
		{"GET / HTTP/1.1\r\nHost: only-api.test\r\n\r\n", 404, "Not Found\n"},
	}
	models(t, func(t *testing.T, perConn bool) {
		addr := serve(t, rt, model(perConn))
		c := dial(t, addr)
		for _, tc := range tests {
			resp, body := c.do(t, tc.raw, "GET")
			if resp.StatusCode != tc.status || body != tc.body {
				t.Errorf("%q: %d %q, want %d %q", tc.raw, resp.StatusCode, body, tc.status, tc.body)
			}
			if resp.Close {
				c = dial(t, addr)
			}
		}
	})
}

// echo reads the whole body and answers its length; wrap, when set, is
// what it makes of a read error.
func echo(called *atomic.Int32, wrap func(error) error) web.Handler {
	return web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		called.Add(1)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			if wrap != nil {
				return wrap(err)
			}
			return err
		}
		_, err = fmt.Fprintf(w, "%d", len(b))
		return err
	})
}

func TestMaxBody(t *testing.T) {
	var called atomic.Int32
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/small", MaxBody: 10, Handler: echo(&called, nil)},
		// A handler that turns every read error into its own 400.
		{Prefix: "/rewrap", MaxBody: 10, Handler: echo(&called, func(err error) error { return web.Error(400, err) })},
		{Prefix: "/", Handler: echo(&called, nil)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	chunked := func(path string, parts ...string) string {
		var b strings.Builder
		b.WriteString("POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		for _, p := range parts {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", len(p), p)
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}
	length := func(path, body string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
	}
	tests := []struct {
		name    string
		raw     string
		status  int
		body    string
		handler bool // whether the handler runs
	}{
		{"length at the limit", length("/small", "0123456789"), 200, "10", true},
		{"length over the limit", length("/small", "0123456789a"), 413, "Content Too Large\n", false},
		{"length over, declared only", "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 413, "Content Too Large\n", false},
		{"chunked at the limit", chunked("/small", "01234", "56789"), 200, "10", true},
		{"chunked over the limit", chunked("/small", "01234", "56789", "a"), 413, "Content Too Large\n", true},
		{"chunked over, in one chunk", chunked("/small", strings.Repeat("a", 5000)), 413, "Content Too Large\n", true},
		{"handler's own error status", chunked("/rewrap", "0123456789ab"), 413, "Content Too Large\n", true},
		{"other route: server limit", chunked("/other", strings.Repeat("a", 100)), 200, "100", true},
	}
	models(t, func(t *testing.T, perConn bool) {
		addr := serve(t, rt, model(perConn))
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				called.Store(0)
				resp, body := dial(t, addr).do(t, tc.raw, "POST")
				if resp.StatusCode != tc.status || body != tc.body {
					t.Errorf("%d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
				}
				if ran := called.Load() > 0; ran != tc.handler {
					t.Errorf("handler ran: %v, want %v", ran, tc.handler)
				}
			})
		}
		// A real client sending a large body gets the 413, not a reset.
		t.Run("http.Client", func(t *testing.T) {
			resp, err := http.Post("http://"+addr+"/small", "application/octet-stream", strings.NewReader(strings.Repeat("z", 1<<20)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	})
}

func TestTimeout(t *testing.T) {
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/slow", Timeout: 100 * time.Millisecond, MaxBody: 1 << 10, Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			dl, ok := r.Context().Deadline()
			if !ok || time.Until(dl) > 100*time.Millisecond {
				return web.Error(500, errors.New("no deadline"))
			}
			select {
			case <-r.Context().Done():
				return web.Error(504, r.Context().Err())
			case <-time.After(5 * time.Second):
				return nil
			}
		})},
		{Prefix: "/", Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			if _, ok := r.Context().Deadline(); ok {
				return web.Error(500, errors.New("deadline on a route without Timeout"))
			}
			return nil
		})},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	models(t, func(t *testing.T, perConn bool) {
		addr := serve(t, rt, model(perConn))
		c := dial(t, addr)
		for _, raw := range []string{
			"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n",
			"POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
		} {
			start := time.Now()
			resp, _ := c.do(t, raw, "GET")
			if resp.StatusCode != 504 || time.Since(start) > 3*time.Second {
				t.Errorf("%q: %d after %v", raw, resp.StatusCode, time.Since(start))
			}
		}
		// The deadline does not outlive its request on the connection.
		if resp, _ := c.do(t, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); resp.StatusCode != 200 {
			t.Errorf("next request: %d", resp.StatusCode)
		}
	})
}

func TestHeadersOnTheWire(t *testing.T) {
	rt, err := router.New([]router.Site{{Routes: []router.Route{
		{Prefix: "/", Handler: named("x"), Headers: []router.Header{{"Strict-Transport-Security", "max-age=63072000"}}, MaxBody: 1},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, rt, nil)
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", // the 413 carries them too
	} {
		resp, _ := dial(t, addr).do(t, raw, "GET")
		if resp.Header.Get("Strict-Transport-Security") != "max-age=63072000" {
			t.Errorf("%q: %d %v", raw, resp.StatusCode, resp.Header)
		}
	}
}

// TestObservedOnce: the server's observers (metrics, a log) read the site
// and route the router recorded on the request; nothing routes a request
// a second time to name it.
func TestObservedOnce(t *testing.T) {
	rt, err := router.New(testSites())
	if err != nil {
		t.Fatal(err)
	}
	var routed atomic.Int64
	router.SetRouteHook(func() { routed.Add(1) })
	defer router.SetRouteHook(nil)
	tests := []struct {
		raw         string
		site, route string
	}{
		{"GET /api/x HTTP/1.1\r\nHost: example.com\r\n\r\n", "main", "/api"},
		{"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n", "*.example.com", "/"},
		{"GET / HTTP/1.1\r\nHost: only-api.test\r\n\r\n", "only-api.test", ""},
	}
	models(t, func(t *testing.T, perConn bool) {
		routed.Store(0)
		reg := prometheus.NewRegistry()
		m, err := metrics.NewHTTP(reg)
		if err != nil {
			t.Fatal(err)
		}
		type seen struct{ site, route string }
		got := make(chan seen, len(tests))
		obs := web.Observers{m, web.ObserverFunc(func(r *web.Request, c web.Completion) {
			got <- seen{r.Site, r.Route}
		})}
		addr := serve(t, rt, func(s *server.Server) { s.GoroutinePerConn = perConn; s.Observer = obs })
		c := dial(t, addr)
		for _, tc := range tests {
			c.do(t, tc.raw, "GET")
			if g := <-got; g.site != tc.site || g.route != tc.route {
				t.Errorf("%q: observed %q, %q; want %q, %q", tc.raw, g.site, g.route, tc.site, tc.route)
			}
		}
		if n := routed.Load(); n != int64(len(tests)) {
			t.Errorf("routed %d times for %d requests", n, len(tests))
		}
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]float64{}
		for _, f := range fams {
			if f.GetName() != "brick_http_requests_total" {
				continue
			}
			for _, mt := range f.Metric {
				var k []string
				for _, lp := range mt.Label {
					k = append(k, lp.GetValue())
				}
				counts[strings.Join(k, ",")] += mt.Counter.GetValue()
			}
		}
		// Labels sort by name: code_class, route, site.
		for k, want := range map[string]float64{"2xx,/api,main": 1, "2xx,/,*.example.com": 1, "4xx,none,none": 1} {
			if counts[k] != want {
				t.Errorf("requests{%s} = %v, want %v (all: %v)", k, counts[k], want, counts)
			}
		}
	})
}
