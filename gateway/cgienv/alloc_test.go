//go:build !race

package cgienv

import (
	"testing"

	"github.com/brick-server/brick/wire"
)

// A Builder kept across requests must not allocate once its scratch buffer
// has grown (STYLE.md §10): the WSGI gateway builds an environment on every
// request. The race detector allocates, hence the build tag.

func TestBuildAllocs(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		opt       *Options
		bodyLen   int64
	}{
		{"typical GET", typicalGET, &Options{ScriptName: "/app"}, -1},
		{"typical GET at root, https", typicalGET, &Options{Scheme: "https"}, -1},
		{"busy GET", busyGET, &Options{ScriptName: "/app"}, 42},
		{"HTTP/1.0 without Host", "GET /a%20b HTTP/1.0\r\nAccept: */*\r\n\r\n", nil, -1},
		{"IPv6 Host", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := parse(t, tc.raw, "[2001:db8::2]:51234", "[::ffff:10.0.0.1]:8080")
			var b Builder
			sink := &countSink{}
			allocs := testing.AllocsPerRun(100, func() {
				if err := b.Build(sink, r, tc.opt, tc.bodyLen); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocs per Build, want 0", allocs)
			}
		})
	}
}

// The FastCGI gateway parses PHP's header block into its response's
// header on every request: once that header has grown, nothing more.
func TestParseResponseHeadAllocs(t *testing.T) {
	for _, tc := range []struct{ name, block string }{
		{"PHP page", "X-Powered-By: PHP/8.2.7\r\nContent-type: text/html; charset=UTF-8"},
		{"PHP redirect", "Status: 302 Found\r\nLocation: login.php?next=%2F\r\nContent-type: text/html; charset=UTF-8"},
		{"absolute redirect", "Location: https://example.com/x"},
		{"cookies and length", "Status: 404 Not Found\nSet-Cookie: a=1\nSet-Cookie: b=2\nContent-Length: 12\nConnection: close\nContent-Type: text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			block := []byte(tc.block)
			var h wire.Header
			allocs := testing.AllocsPerRun(100, func() {
				h.Reset()
				if _, err := ParseResponseHead(block, &h); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocs per ParseResponseHead, want 0", allocs)
			}
		})
	}
}
