package asgi_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// TestHeadEndsWithItsHead: a HEAD's response ends with its head, though
// the application streams a body for seconds (or forever): a request
// pipelined behind it on the same connection is answered at once, and
// the application, told the client left, serves on.
func TestHeadEndsWithItsHead(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	for _, path := range []string{"/stream?1000", "/big?8"} {
		t.Run(path, func(t *testing.T) {
			c, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			c.SetDeadline(start.Add(5 * time.Second))
			if _, err := c.Write([]byte("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\nGET /pid HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			head, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
			if err != nil || head.StatusCode != 200 {
				t.Fatalf("HEAD %s: %v, %v", path, head, err)
			}
			next, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("the GET behind HEAD %s after %v: %v", path, time.Since(start), err)
			}
			next.Body.Close()
			// The stream lasts 10 s: its end is not waited for.
			if d := time.Since(start); next.StatusCode != 200 || d > 2*time.Second {
				t.Fatalf("the GET behind HEAD %s: %d after %v; want 200 at once", path, next.StatusCode, d)
			}
		})
	}
	if r := g.mustGet(t, "/pid", 200); r.body == "" {
		t.Fatal("no pid")
	}
}
