package service_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
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
	f := load(t, `[server]
listen = ["127.0.0.1:0"]

[[site]]
  [[site.route]]
  path = "/api/"
  headers = { "X-Route" = "proxy" }
  proxy = { to = ["http://`+ln.Addr().String()+`"], strip_prefix = true, timeout = "5s" }
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
}
