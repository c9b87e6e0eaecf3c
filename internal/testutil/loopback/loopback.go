// Package loopback runs a Brick server on a free loopback port for the
// length of a test. It is apart from testutil, which imports nothing of
// Brick's, so that tests inside wire, web or server can use testutil
// without an import cycle.
package loopback

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
)

// grace is how long the server may finish what is in flight when the test
// ends, before the rest is closed. Shutdown returns as soon as nothing is
// open, so only a test that leaves a request hanging waits for it.
const grace = 2 * time.Second

// Serve serves srv on 127.0.0.1 on a free port until the test ends, and
// returns the address (host:port). A nil srv.Logger is set to discard the
// server's log. When the test ends, srv is shut down (closed after a
// grace) and Serve has returned: cleanups registered before Serve, such as
// closing what the handler uses, run after that.
func Serve(t testing.TB, srv *server.Server) string {
	t.Helper()
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Logger == nil {
		srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}
