//go:build !race

package metrics

import (
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
	"github.com/prometheus/client_golang/prometheus"
)

// TestAllocs: counting a request the server reports allocates nothing once
// its site and route pair has been seen, matched or not.
func TestAllocs(t *testing.T) {
	m, err := NewHTTP(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, site, route string
		c                 web.Completion
	}{
		{"routed", "main", "api", web.Completion{Status: 200, Bytes: 13, Start: time.Now(), Duration: time.Millisecond}},
		{"no route", "main", "", web.Completion{Status: 404, Bytes: 10, Duration: time.Microsecond}},
		{"cut", "main", "api", web.Completion{Cut: true}},
		{"status 742", "main", "api", web.Completion{Status: 742}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &web.Request{Body: web.NoBody, Site: tc.site, Route: tc.route}
			if _, err := new(wire.RequestParser).Parse(&r.RequestHead, []byte("GET /api HTTP/1.1\r\nHost: x\r\n\r\n"), nil); err != nil {
				t.Fatal(err)
			}
			run := func() { m.Complete(r, tc.c) }
			run()
			if n := testing.AllocsPerRun(500, run); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
		})
	}
}
