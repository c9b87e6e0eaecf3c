package service_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
)

// TestProxyRoute: a proxy route of the file sends its requests to the
// upstream, without the route's prefix when asked, with the route's
// headers on the answer.
func TestProxyRoute(t *testing.T) {
	ln := echoUpstream(t)
	dl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := dl.Addr().String()
	dl.Close()
	f := load(t, `[server]
listen = ["127.0.0.1:0"]

[[site]]
  [[site.route]]
  path = "/api/"
  headers = { "X-Route" = "proxy" }
  proxy = { to = ["http://`+ln+`", "http://`+dead+`"], strip_prefix = true, timeout = "5s", fail_timeout = "1m" }
`, nil)
	resp, err := http.Get(f.base + "/api/users?x=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := string(b), "upstream saw /users?x=1 for 127.0.0.1"; got != want || resp.Header.Get("X-Route") != "proxy" {
		t.Errorf("got %q (X-Route %q), want %q", got, resp.Header.Get("X-Route"), want)
	}

	// The upstreams' state in the metrics: the live one up with an idle
	// connection, the dead one down after its failure.
	for range 2 {
		if resp, err := http.Get(f.base + "/api/"); err == nil {
			resp.Body.Close()
		}
	}
	fams, err := f.svc.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, fam := range fams {
		if !strings.HasPrefix(fam.GetName(), "brick_proxy_upstream_") {
			continue
		}
		for _, m := range fam.Metric {
			key := fam.GetName()
			for _, l := range m.Label {
				if l.GetName() == "upstream" && strings.Contains(l.GetValue(), dead) {
					key += " dead"
				}
			}
			got[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"brick_proxy_upstream_up": 1, "brick_proxy_upstream_up dead": 0,
		"brick_proxy_upstream_healthy": 1, "brick_proxy_upstream_healthy dead": 1,
		"brick_proxy_upstream_idle_connections": 1, "brick_proxy_upstream_idle_connections dead": 0,
		"brick_proxy_upstream_active_requests": 0, "brick_proxy_upstream_active_requests dead": 0,
		"brick_proxy_upstream_failures_total": 0, "brick_proxy_upstream_failures_total dead": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

// echoUpstream runs an HTTP/1.1 upstream answering every request with the
// target and X-Forwarded-For it saw, and returns its address.
func echoUpstream(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body := "upstream saw " + req.URL.RequestURI() + " for " + req.Header.Get("X-Forwarded-For")
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestUpstreamsEndpoint: GET /upstreams on the admin handler lists each
// proxy route's upstreams with their health, the last active check and
// why it failed.
func TestUpstreamsEndpoint(t *testing.T) {
	live := echoUpstream(t)
	dl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := dl.Addr().String()
	dl.Close()
	f := load(t, `[server]
listen = ["127.0.0.1:0"]

[[site]]
  [[site.route]]
  path = "/api/"
  proxy = { to = ["http://`+live+`", "http://`+dead+`"], health_uri = "/health", health_interval = "1s", timeout = "2s" }
`, nil)
	admin := "http://" + loopback.Serve(t, &server.Server{Handler: f.svc.Admin()})
	type upstream struct {
		URL            string     `json:"url"`
		Healthy        bool       `json:"healthy"`
		Available      bool       `json:"available"`
		InFlight       *int64     `json:"in_flight"`
		Idle           *int       `json:"idle_connections"`
		Failures       *uint64    `json:"failures"`
		LastCheck      *time.Time `json:"last_check"`
		LastCheckError string     `json:"last_check_error"`
	}
	var doc struct {
		Routes []struct {
			Route     string     `json:"route"`
			Upstreams []upstream `json:"upstreams"`
		} `json:"routes"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(admin + "/upstreams")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /upstreams: %d %q: %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
		}
		if len(doc.Routes) == 1 && len(doc.Routes[0].Upstreams) == 2 &&
			doc.Routes[0].Upstreams[0].LastCheck != nil && doc.Routes[0].Upstreams[1].LastCheck != nil &&
			!doc.Routes[0].Upstreams[1].Healthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checks of both upstreams in 10 s: %+v", doc)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rt := doc.Routes[0]
	l, d := rt.Upstreams[0], rt.Upstreams[1]
	if rt.Route != "/api/" || l.URL != "http://"+live || d.URL != "http://"+dead {
		t.Errorf("route %q upstreams %q %q", rt.Route, l.URL, d.URL)
	}
	if !l.Healthy || !l.Available || l.LastCheckError != "" || l.InFlight == nil || l.Idle == nil || l.Failures == nil {
		t.Errorf("live upstream: %+v", l)
	}
	if d.Healthy || d.Available || !strings.Contains(d.LastCheckError, "refused") {
		t.Errorf("dead upstream: %+v", d)
	}
}
