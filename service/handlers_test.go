package service_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/service"
	"github.com/brick-server/brick/web"
)

// TestNamedHandlers: routes that say handler = "name" are served by the Go
// handlers a program registers, Brick's own or net/http's through the
// adapter, under their prefix; a name nobody registered is refused with
// its line, by Validate and by Load.
func TestNamedHandlers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "brick.toml")
	conf := `[server]
listen = ["127.0.0.1:0"]

[[site]]
  [[site.route]]
  path = "/api/"
  handler = "api"
  headers = { "X-Route" = "api" }
  [[site.route]]
  path = "/std/"
  handler = "std"
`
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	handlers := service.Handlers{
		"api": web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			_, err := w.WriteString("brick handler at " + string(r.Path))
			return err
		}),
		"std": nethttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "net/http handler at "+r.URL.Path)
		})),
	}
	if err := service.Validate(file, handlers); err != nil {
		t.Fatalf("Validate with the handlers registered: %v", err)
	}
	err := service.Validate(file, service.Handlers{"api": handlers["api"]})
	if err == nil || !strings.Contains(err.Error(), "brick.toml:") || !strings.Contains(err.Error(), "std") {
		t.Fatalf("Validate without \"std\" registered: %v; want an error naming it, with its line", err)
	}
	if _, err := service.Load(file, nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("Load accepted handler routes with no handler registered")
	}

	svc, err := service.Load(file, handlers, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Handler: svc.Handler(), Observer: svc.Observer()}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		svc.Close()
	})
	for _, tc := range []struct{ path, body, route string }{
		{"/api/users", "brick handler at /api/users", "api"},
		{"/std/x?y=1", "net/http handler at /std/x", ""},
	} {
		resp, err := http.Get("http://" + ln.Addr().String() + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != tc.body || resp.Header.Get("X-Route") != tc.route {
			t.Errorf("GET %s: %d %q X-Route %q; want 200 %q %q", tc.path, resp.StatusCode, b, resp.Header.Get("X-Route"), tc.body, tc.route)
		}
	}
}
