package websocket_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

var (
	tlsOnce   sync.Once
	tlsServer *tls.Config
	tlsClient *tls.Config
)

// testTLS is a certificate for 127.0.0.1 and a client that trusts it.
func testTLS(t testing.TB) (srv, client *tls.Config) {
	tlsOnce.Do(func() {
		ca := testutil.NewCA(t)
		kp := ca.KeyPair(t, "127.0.0.1")
		tlsServer = &tls.Config{Certificates: []tls.Certificate{kp}}
		tlsClient = &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}}
	})
	return tlsServer, tlsClient
}

// serveTLS is serve over TLS.
func serveTLS(t testing.TB, h web.Handler) string {
	t.Helper()
	cfg, _ := testTLS(t)
	srv := &server.Server{Handler: h, Logger: slog.New(slog.DiscardHandler)}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, cfg) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	return ln.Addr().String()
}

// dialRawTLS is dialRaw over TLS.
func dialRawTLS(t testing.TB, addr, path string) *rawClient {
	t.Helper()
	_, cfg := testTLS(t)
	c := handshakeOver(t, tls.Client(dialTCP(t, addr), cfg), addr, path)
	if c.resp.StatusCode != 101 {
		t.Fatalf("handshake answered %s", c.resp.Status)
	}
	return c
}

// TestWatchedTLSBuffered: a watched TLS connection with input crypto/tls
// has already taken from the socket goes on at once. The client sends two
// messages in one TLS record; the first is larger than the reader's
// buffer, so its payload is read straight from crypto/tls, which then
// holds the whole second message decrypted while the socket is empty: a
// watch armed on the socket alone would wait for the client forever.
func TestWatchedTLSBuffered(t *testing.T) {
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, &websocket.Options{Watched: true})
		if err != nil {
			return nil
		}
		c.Serve(func(typ websocket.MessageType, msg []byte) error {
			return c.WriteMessage(typ, msg)
		}, func(error) {})
		return nil
	})
	for _, tc := range []struct {
		name  string
		first int
	}{{"small first", 10}, {"large first", 8000}, {"first fills a record", 16000}} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRawTLS(t, serveTLS(t, h), "/")
			// Let the server park the connection after the handshake.
			time.Sleep(100 * time.Millisecond)
			first := strings.Repeat("a", tc.first)
			var record []byte
			for _, m := range []string{first, "second"} {
				p := []byte(m)
				fh := wsframe.Header{Fin: true, Op: wsframe.OpText, Masked: true, Length: int64(len(p))}
				fh.Mask = [4]byte{1, 2, 3, 4}
				wsframe.Mask(fh.Mask, 0, p)
				record = append(wsframe.AppendHeader(record, fh), p...)
			}
			if _, err := c.nc.Write(record); err != nil { // one Write, one record
				t.Fatal(err)
			}
			c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
			for _, want := range []string{first, "second"} {
				_, got, err := c.next()
				if err != nil {
					t.Fatalf("waiting for the echo of a %d-byte message: %v", len(want), err)
				}
				if string(got) != want {
					t.Fatalf("echo of %d bytes, want %d", len(got), len(want))
				}
			}
			// The connection still parks and wakes afterwards.
			time.Sleep(50 * time.Millisecond)
			c.send(wsframe.OpText, "third")
			if _, got, err := c.next(); err != nil || string(got) != "third" {
				t.Fatalf("third echo %q, %v", got, err)
			}
			c.send(wsframe.OpClose, "\x03\xe8")
			io.Copy(io.Discard, c.br)
		})
	}
}
