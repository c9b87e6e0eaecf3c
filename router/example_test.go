package router_test

import (
	"fmt"
	"log"
	"time"

	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/web"
)

// Two sites: example.com with an API, a redirect and a catch-all
// application, and a default site for every other host.
func ExampleNew() {
	app := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		_, err := w.WriteString("app\n")
		return err
	})
	rt, err := router.New([]router.Site{
		{Hosts: []string{"example.com", "*.example.com"}, Routes: []router.Route{
			{Prefix: "/api", Handler: app, MaxBody: 1 << 20, Timeout: 30 * time.Second, Name: "api"},
			{Prefix: "/blog/", Handler: router.Redirect("https://blog.example.com/", 301, true)},
			{Prefix: "/healthz", Handler: router.Respond(200, "text/plain", "ok\n")},
			{Prefix: "/", Handler: app, Headers: []router.Header{{"X-Frame-Options", "DENY"}}},
		}},
		{Hosts: []string{"*"}, Routes: []router.Route{
			{Prefix: "/", Handler: router.Respond(404, "text/plain", "no such site\n")},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range rt.Sites() {
		for _, r := range s.Routes {
			fmt.Printf("%s %s\n", s.Name, r.Name)
		}
	}
	// Output:
	// example.com api
	// example.com /blog/
	// example.com /healthz
	// example.com /
	// default /
}
