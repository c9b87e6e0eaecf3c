package loopback_test

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestServe: the server answers on a loopback address while the test
// runs, and nothing listens there once it has ended.
func TestServe(t *testing.T) {
	var addr string
	t.Run("serving", func(t *testing.T) {
		addr = loopback.Serve(t, &server.Server{Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			_, err := io.WriteString(w, "hello")
			return err
		})})
		if host, port, _ := net.SplitHostPort(addr); host != "127.0.0.1" || port == "0" {
			t.Fatalf("address %q, want 127.0.0.1 and a port", addr)
		}
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "hello" {
			t.Fatalf("GET / = %d %q", resp.StatusCode, body)
		}
		c.CloseIdleConnections()
	})
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after the test", addr)
	}
}
