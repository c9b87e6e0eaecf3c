package main

import (
	_ "embed"
	"html"
	"net"
	"strings"

	"github.com/brick-server/brick/web"
)

// welcomePage is the page at /; {{host}} and {{telnet}} stand for the
// address the request came to, as a URL's host and as telnet's
// arguments.
//
//go:embed welcome/index.html
var welcomePage string

// welcome is the embedded default site: the article's first server at
// /hello, and a page saying what Brick is at /.
func welcome(w web.ResponseWriter, r *web.Request) error {
	var body, ctype string
	switch string(r.Path) {
	case "/hello":
		body, ctype = "Hello, World!", "text/plain; charset=utf-8"
	case "/":
		body, ctype = welcomeFor(r), "text/html; charset=utf-8"
	default:
		return web.Error(404, nil)
	}
	if m := string(r.Method); m != "GET" && m != "HEAD" {
		w.Header().Set("Allow", "GET, HEAD")
		return web.Error(405, nil)
	}
	w.Header().Set("Content-Type", ctype)
	_, err := w.WriteString(body)
	return err
}

// welcomeFor fills the page with the address the request came to: the
// one the browser shows (the Host field), else the listener's, so that
// its examples work whatever -addr is.
func welcomeFor(r *web.Request) string {
	host := string(r.Host)
	if host == "" && r.LocalAddr.IsValid() {
		host = r.LocalAddr.String()
	}
	if host == "" {
		host = "localhost"
	}
	telnet := host + " 80"
	if h, port, err := net.SplitHostPort(host); err == nil {
		telnet = h + " " + port
	}
	return strings.NewReplacer("{{host}}", html.EscapeString(host), "{{telnet}}", html.EscapeString(telnet)).Replace(welcomePage)
}
