package service_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestProxyRoute: a proxy route of the file sends its requests to the
// upstream, without the route's prefix when asked, with the route's
// headers on the answer.
func TestProxyRoute(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
  proxy = { to = ["http://`+ln.Addr().String()+`", "http://`+dead+`"], strip_prefix = true, timeout = "5s", fail_timeout = "1m" }
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
