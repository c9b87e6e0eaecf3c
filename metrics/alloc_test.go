//go:build !race

package metrics

import (
	"testing"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/web"
	"github.com/prometheus/client_golang/prometheus"
)

var errNotFound = web.Error(404, nil)

// TestAllocs: recording a request allocates nothing but the wrapper, and
// nothing at all under a writer that already records.
func TestAllocs(t *testing.T) {
	m, err := NewHTTP(prometheus.NewRegistry(), func(r *web.Request) (string, string) {
		if string(r.Path) == "/api" {
			return "main", "api"
		}
		return "main", "other"
	})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Wrap(web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		if string(r.Path) == "/api" {
			_, err := w.WriteString("Hello, World!")
			return err
		}
		return errNotFound
	}))
	for _, target := range []string{"/api", "/missing"} {
		t.Run(target, func(t *testing.T) {
			r := &web.Request{Body: web.NoBody}
			if _, err := r.Request.Parse([]byte("GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n"), nil); err != nil {
				t.Fatal(err)
			}
			w := &testutil.DiscardWriter{}
			run := func() { h.ServeHTTP(w, r) }
			run()
			if n := testing.AllocsPerRun(500, run); n != 1 {
				t.Errorf("%v allocations per request, want 1 (the wrapper)", n)
			}
			rec, _ := web.Record(w)
			run = func() { h.ServeHTTP(rec, r) }
			if n := testing.AllocsPerRun(500, run); n != 0 {
				t.Errorf("under a recording writer: %v allocations per request, want 0", n)
			}
		})
	}
}
