package router_test

import (
	"testing"

	"github.com/brick-server/brick/router"
)

func BenchmarkRoute(b *testing.B) {
	rt, err := router.New(testSites())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, host, target string }{
		{"clean", "www.example.com", "/static/css/app.css"},
		{"wildcard", "a.deep.example.com", "/"},
		{"normalised", "example.com", "/caf%C3%A9/men%C3%BC/../carte"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := get(b, bc.host, bc.target)
			w := &nopWriter{}
			b.ReportAllocs()
			for b.Loop() {
				w.h.Reset()
				rt.ServeHTTP(w, r)
			}
		})
	}
}
