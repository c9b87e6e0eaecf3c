package wsgi_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
	"golang.org/x/net/http2"
)

// TestHTTP2 serves a WSGI application over HTTP/2 (h2c, prior
// knowledge): the environ says HTTP/2 and carries the authority as
// HTTP_HOST, and request bodies arrive whole, with a declared length and
// without one.
func TestHTTP2(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	c := &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, g.addr)
		},
	}}
	resp, err := c.Get("http://h2.test/env")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]string
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || resp.ProtoMajor != 2 {
		t.Fatalf("environ over %s: %v", resp.Proto, err)
	}
	if env["SERVER_PROTOCOL"] != "HTTP/2" || env["HTTP_HOST"] != "h2.test" || env["SERVER_NAME"] != "h2.test" {
		t.Errorf("SERVER_PROTOCOL %q, HTTP_HOST %q, SERVER_NAME %q", env["SERVER_PROTOCOL"], env["HTTP_HOST"], env["SERVER_NAME"])
	}
	body := strings.Repeat("h2 body ", 40000)
	for _, declared := range []bool{true, false} {
		var r io.Reader = strings.NewReader(body)
		if !declared {
			r = io.MultiReader(r) // hides the length: no content-length
		}
		resp, err := c.Post("http://h2.test/input?how=read", "text/plain", r)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Len int `json:"len"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || got.Len != len(body) {
			t.Errorf("declared length %v: %d bytes arrived of %d (%v)", declared, got.Len, len(body), err)
		}
	}
}
