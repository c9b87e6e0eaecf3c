package metrics_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
)

// TestProtocolCounted sends requests over HTTP/1.0, HTTP/1.1 and HTTP/2
// (h2c with prior knowledge) and a head that cannot be parsed: each is
// counted under its protocol.
func TestProtocolCounted(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		_, err := w.Write([]byte("ok"))
		return err
	}), m)
	addr := strings.TrimPrefix(url, "http://")
	raw := func(req string) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, req)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	raw("GET / HTTP/1.0\r\n\r\n")
	raw("GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
	h1 := &http.Client{}
	h2c := &http.Client{Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return new(net.Dialer).DialContext(ctx, network, addr)
		}}}
	for _, tc := range []struct {
		client *http.Client
		n      int
		proto  string
	}{{h1, 2, "HTTP/1.1"}, {h2c, 3, "HTTP/2.0"}} {
		for range tc.n {
			resp, err := tc.client.Get(url + "/")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Proto != tc.proto {
				t.Fatalf("response over %s, want %s", resp.Proto, tc.proto)
			}
		}
	}
	// A request is counted once its response is out, which the client
	// may see first: scrape until the counts arrive.
	_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	want := map[string]float64{"HTTP/1.0": 1, "HTTP/1.1": 2, "HTTP/2.0": 3, "unknown": 1}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		fams := scrape(t, admin+"/metrics")
		var wrong []string
		for proto, n := range want {
			if v := value(fams, "brick_http_requests_by_protocol_total", l("protocol", proto)); v != n {
				wrong = append(wrong, fmt.Sprintf("%s: %v requests, want %v", proto, v, n))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(strings.Join(wrong, "; "))
		}
	}
}
