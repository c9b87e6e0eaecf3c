//go:build !race

package service

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// TestServeAllocs: a request through the generation in force (taking and
// releasing it, routing, a route's answer) allocates nothing.
func TestServeAllocs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "brick.toml")
	conf := `[server]
listen = ["127.0.0.1:0"]
[log]
access = "off"
[[site]]
  [[site.route]]
  path = "/"
  respond = { body = "hello" }
`
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(file, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close(false)
	r := &web.Request{Body: web.NoBody}
	if _, err := new(wire.RequestParser).Parse(&r.RequestHead, []byte("GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	w := &nopWriter{}
	run := func() {
		w.h.Reset()
		if err := s.serveCurrent(w, r); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Errorf("%v allocations per request, want 0", n)
	}
}

type nopWriter struct{ h wire.Header }

func (w *nopWriter) Header() *wire.Header              { return &w.h }
func (w *nopWriter) WriteHeader(int)                   {}
func (w *nopWriter) Write(p []byte) (int, error)       { return len(p), nil }
func (w *nopWriter) WriteString(s string) (int, error) { return len(s), nil }
