package router

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

// FuzzMatchPath checks the normal form on any input: it is a path without
// empty or dot segments, normalising it again changes nothing, and it is
// what decoding the raw path and resolving it as a URL path gives.
func FuzzMatchPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b/", "//a/./b/../c", "/%2e%2E/x", "/a%2Fb", "/caf%C3%A9", "/a\\b", "/a%zz", "/..", "/a/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var buf [16]byte
		p, ok := matchPath(buf[:0], []byte(raw))
		if !ok {
			return
		}
		if len(p) == 0 || p[0] != '/' || bytes.Contains(p, []byte("//")) || bytes.IndexByte(p, '\\') >= 0 {
			t.Fatalf("%q: bad normal form %q", raw, p)
		}
		for _, seg := range strings.Split(string(p), "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q: dot-segment left in %q", raw, p)
			}
		}
		again, ok := removeDots(bytes.Clone(p))
		if !ok || !bytes.Equal(again, p) {
			t.Fatalf("%q: normal form %q is not stable: %q", raw, p, again)
		}
		if len(raw) > 0 && raw[0] == '/' {
			dec, err := url.PathUnescape(raw)
			if err != nil || strings.Contains(dec, "//") {
				return
			}
			// net/url resolves dot-segments the same way on a path
			// without empty segments.
			want := (&url.URL{Path: "/"}).ResolveReference(&url.URL{Path: dec}).Path
			if want != string(p) && !strings.HasPrefix(dec, "/..") {
				t.Fatalf("%q: %q, net/url says %q", raw, p, want)
			}
		}
	})
}
