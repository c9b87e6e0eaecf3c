// Package brick is the front door of the Brick web server as a library:
// serve a Brick handler or any unchanged net/http.Handler on Brick's own
// HTTP/1.1 engine.
//
//	brick.ListenAndServe(":8888", mux) // mux is an *http.ServeMux, a chi.Router...
//
// For timeouts, limits and graceful shutdown use a Server (an alias of
// server.Server) with Handler set from Adapt.
package brick

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/service"
	"github.com/brick-server/brick/web"
)

// Server is Brick's HTTP/1.1 server; see package server.
type Server = server.Server

// ListenAndServe serves handler on addr ("host:port") until the process
// ends. handler is a web.Handler, an http.Handler, or a function with the
// signature of either's ServeHTTP.
func ListenAndServe(addr string, handler any) error {
	h, err := Adapt(handler)
	if err != nil {
		return err
	}
	s := &Server{Handler: h}
	return s.ListenAndServe(addr)
}

// Adapt returns handler as a web.Handler: Brick's own handlers as they
// are, net/http handlers through the nethttp adapter.
func Adapt(handler any) (web.Handler, error) {
	switch h := handler.(type) {
	case web.Handler:
		return h, nil
	case func(web.ResponseWriter, *web.Request) error:
		return web.HandlerFunc(h), nil
	case http.Handler:
		return nethttp.Handler(h), nil
	case func(http.ResponseWriter, *http.Request):
		return nethttp.Handler(http.HandlerFunc(h)), nil
	}
	return nil, fmt.Errorf("brick: %T is neither a web.Handler nor an http.Handler", handler)
}

// RunConfig serves the configuration file at path as `brick run -config`
// does, until SIGINT or SIGTERM, and returns the process's exit code.
// Routes that say handler = "name" are served by handlers[name]: a Brick
// web.Handler or any unchanged net/http.Handler.
func RunConfig(path string, handlers map[string]any) int {
	hs := service.Handlers{}
	for name, h := range handlers {
		wh, err := Adapt(h)
		if err != nil {
			fmt.Fprintf(os.Stderr, "brick: handler %q: %v\n", name, err)
			return 2
		}
		hs[name] = wh
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	svc, err := service.Open(service.File(path), hs, log) // binds before importing applications
	if err != nil {
		fmt.Fprintf(os.Stderr, "brick: %v\n", err)
		return 1
	}
	return svc.Run()
}
