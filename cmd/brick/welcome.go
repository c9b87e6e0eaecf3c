package main

import (
	_ "embed"

	"github.com/brick-server/brick/web"
)

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
		body, ctype = welcomePage, "text/html; charset=utf-8"
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
