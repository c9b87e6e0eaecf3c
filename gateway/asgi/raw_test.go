package asgi_test

import (
	"testing"

	"github.com/brick-server/brick/gateway/asgi"
)

func TestHello(t *testing.T) {
	g := startGateway(t, asgi.Config{App: "rawapp:app"})
	for range 3 {
		if r := g.mustGet(t, "/", 200); r.body != "hello" {
			t.Fatalf("body %q", r.body)
		}
	}
	r := g.mustGet(t, "/scope?a=1", 200)
	t.Log(r.body)
}
