//go:build !race

package accesslog

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
)

// TestAllocs: formatting and writing the line of a request the server
// reports allocate nothing.
func TestAllocs(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		path string
		c    web.Completion
	}{
		{Combined, "/hello", web.Completion{Status: 200, Bytes: 13, Start: time.Now(), Duration: time.Millisecond}},
		{Common, "/hello", web.Completion{Status: 200, Bytes: 13, Start: time.Now()}},
		{JSON, "/hello", web.Completion{Status: 200, Bytes: 13, Start: time.Now(), Duration: time.Millisecond}},
		{Combined, "/missing", web.Completion{Status: 404, Bytes: 10, Start: time.Now()}},
		{Combined, "/abort", web.Completion{Cut: true, Start: time.Now()}},
	} {
		r := parse(t, "GET "+tc.path+"?x=1 HTTP/1.1\r\nHost: example.com\r\nReferer: http://a.example/\r\n"+
			"User-Agent: Mozilla/5.0 \"x\"\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n")
		r.RemoteAddr = netip.MustParseAddrPort("[2001:db8::1]:5000")
		// Longer than the stack buffer of a string conversion.
		r.Site, r.Route = "a-rather-long-site-name.example.com", "/a/rather/long/route/prefix/for/café/"
		t.Run(tc.f.String()+tc.path, func(t *testing.T) {
			out := NewWriter(io.Discard)
			defer out.Close()
			l := New(out, tc.f)
			run := func() { l.Complete(r, tc.c) }
			run()
			if n := testing.AllocsPerRun(500, run); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
		})
	}
}
