//go:build !race

package accesslog

import (
	"io"
	"net/netip"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/web"
)

var errNotFound = web.Error(404, nil)

// TestAllocs: formatting and writing a line allocate nothing; the wrapper
// is the one allocation per request, and none when the writer already
// records (a metrics wrapper outside).
func TestAllocs(t *testing.T) {
	hello := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		if string(r.Path) != "/hello" {
			return errNotFound
		}
		_, err := w.WriteString("Hello, World!")
		return err
	})
	for _, tc := range []struct {
		f    Format
		path string
	}{{Combined, "/hello"}, {Common, "/hello"}, {JSON, "/hello"}, {Combined, "/missing"}} {
		f := tc.f
		r := parse(t, "GET "+tc.path+"?x=1 HTTP/1.1\r\nHost: example.com\r\nReferer: http://a.example/\r\n"+
			"User-Agent: Mozilla/5.0 \"x\"\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n")
		r.RemoteAddr = netip.MustParseAddrPort("[2001:db8::1]:5000")
		t.Run(f.String()+tc.path, func(t *testing.T) {
			out := NewWriter(io.Discard)
			defer out.Close()
			h := New(hello, out, f)
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
