package asgi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	coder "github.com/coder/websocket"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
)

// TestWebSocketTLS runs a FastAPI WebSocket over Brick's TLS (wss), with
// a certificate from a test CA: echo of a 1 MiB message, scheme wss, and
// the client's close code.
func TestWebSocketTLS(t *testing.T) {
	t.Parallel()
	testutil.NeedPython(t, "fastapi", "starlette")
	log, lb := newLogger()
	pool, err := asgi.NewPool(asgi.Config{Settings: pyproc.Settings{App: "wsapp:application", Python: python, Dir: appsDir, Workers: 1}}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		if t.Failed() {
			t.Logf("log:\n%s", lb)
		}
	})
	ca := testutil.NewCA(t)
	kp := ca.KeyPair(t, "localhost", "127.0.0.1")
	srv := &server.Server{Handler: asgi.NewHandler(pool), Logger: slog.New(slog.DiscardHandler)}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeTLS(ln, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp}})
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}}}
	c, _, err := coder.Dial(ctx, "wss://"+ln.Addr().String()+"/echo", &coder.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(2 << 20)
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for _, m := range [][]byte{[]byte("scheme"), big} {
		if err := c.Write(ctx, coder.MessageBinary, m); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || len(got) != len(m) {
			t.Fatalf("echo over TLS: %d bytes, %v", len(got), err)
		}
	}
	if err := c.Write(ctx, coder.MessageText, []byte("scheme")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "wss" {
		t.Fatalf("scope scheme %q, %v; want wss", got, err)
	}
	if err := c.Close(4007, "tls bye"); err != nil {
		t.Fatal(err)
	}
}
