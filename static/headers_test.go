package static

import (
	"testing"
	"time"

	"github.com/brick-server/brick/web"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	tests := []struct {
		name   string
		v      string
		want   []byteRange
		ignore bool
	}{
		{"first bytes", "bytes=0-99", []byteRange{{0, 100}}, false},
		{"open end", "bytes=900-", []byteRange{{900, 100}}, false},
		{"suffix", "bytes=-10", []byteRange{{990, 10}}, false},
		{"suffix longer than file", "bytes=-5000", []byteRange{{0, 1000}}, false},
		{"end past size", "bytes=990-5000", []byteRange{{990, 10}}, false},
		{"two", "bytes=0-0, 10-19", []byteRange{{0, 1}, {10, 10}}, false},
		{"unsatisfiable", "bytes=1000-", nil, false},
		{"one of two satisfiable", "bytes=5000-,0-1", []byteRange{{0, 2}}, false},
		{"zero suffix", "bytes=-0", nil, false},
		{"other unit", "items=0-1", nil, true},
		{"no equals", "bytes 0-1", nil, true},
		{"reversed", "bytes=10-5", nil, true},
		{"garbage", "bytes=a-b", nil, true},
		{"empty set", "bytes=", nil, true},
		{"overlapping amplification", "bytes=0-999,0-999", nil, true},
		{"too many", "bytes=" + manyRanges(40), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ignore := parseRange([]byte(tc.v), size)
			if ignore != tc.ignore || len(got) != len(tc.want) {
				t.Fatalf("parseRange(%q) = %v, %v; want %v, %v", tc.v, got, ignore, tc.want, tc.ignore)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("parseRange(%q) = %v; want %v", tc.v, got, tc.want)
				}
			}
		})
	}
}

func manyRanges(n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += ","
		}
		s += string(rune('0'+i%10)) + "-" + string(rune('0'+i%10))
	}
	return s
}

func TestPrecondition(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	etag := makeETag(10, mod)
	before, at, after := "Fri, 02 Jan 2026 03:04:04 GMT", "Fri, 02 Jan 2026 03:04:05 GMT", "Fri, 02 Jan 2026 03:04:06 GMT"
	tests := []struct {
		name   string
		fields [][2]string
		want   int
	}{
		{"none", nil, 0},
		{"if-none-match hit", [][2]string{{"If-None-Match", etag}}, 304},
		{"if-none-match weak hit", [][2]string{{"If-None-Match", `"x", W/` + etag}}, 304},
		{"if-none-match star", [][2]string{{"If-None-Match", "*"}}, 304},
		{"if-none-match miss", [][2]string{{"If-None-Match", `"other"`}}, 0},
		{"if-none-match wins over ims", [][2]string{{"If-None-Match", `"other"`}, {"If-Modified-Since", after}}, 0},
		{"ims at", [][2]string{{"If-Modified-Since", at}}, 304},
		{"ims after", [][2]string{{"If-Modified-Since", after}}, 304},
		{"ims before", [][2]string{{"If-Modified-Since", before}}, 0},
		{"ims rfc850", [][2]string{{"If-Modified-Since", "Friday, 02-Jan-26 03:04:05 GMT"}}, 304},
		{"ims asctime", [][2]string{{"If-Modified-Since", "Fri Jan  2 03:04:05 2026"}}, 304},
		{"ims garbage ignored", [][2]string{{"If-Modified-Since", "yesterday"}}, 0},
		{"if-match hit", [][2]string{{"If-Match", etag}}, 0},
		{"if-match miss", [][2]string{{"If-Match", `"other"`}}, 412},
		{"if-match weak never matches", [][2]string{{"If-Match", "W/" + etag}}, 412},
		{"if-match star", [][2]string{{"If-Match", "*"}}, 0},
		{"ius before", [][2]string{{"If-Unmodified-Since", before}}, 412},
		{"ius at", [][2]string{{"If-Unmodified-Since", at}}, 0},
		{"if-match wins over ius", [][2]string{{"If-Match", etag}, {"If-Unmodified-Since", before}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := new(web.Request)
			for _, f := range tc.fields {
				r.Header.Add(f[0], f[1])
			}
			if got := precondition(r, etag, mod); got != tc.want {
				t.Errorf("precondition = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIfRange(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	etag := makeETag(10, mod)
	for v, want := range map[string]bool{etag: true, `"other"`: false, "W/" + etag: false,
		"Fri, 02 Jan 2026 03:04:05 GMT": true, "Fri, 02 Jan 2026 03:04:06 GMT": false, "junk": false} {
		r := new(web.Request)
		r.Header.Add("If-Range", v)
		if got := ifRangeHolds(r, etag, mod); got != want {
			t.Errorf("If-Range %q: %v, want %v", v, got, want)
		}
	}
}

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		v, coding string
		want      bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip, deflate, br", "gzip", true},
		{"gzip;q=0", "gzip", false},
		{"gzip;q=0.000", "gzip", false},
		{"gzip;q=0.5", "gzip", true},
		{"GZIP", "gzip", true},
		{"*", "br", true},
		{"*;q=0, gzip", "br", false},
		{"identity", "gzip", false},
		{"", "gzip", false},
	}
	for _, tc := range tests {
		if got := acceptsEncoding([]byte(tc.v), tc.coding); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %s) = %v, want %v", tc.v, tc.coding, got, tc.want)
		}
	}
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{"a.html": "text/html; charset=utf-8", "A.CSS": "text/css; charset=utf-8",
		"x.js": "text/javascript; charset=utf-8", "p.png": "image/png", "f.woff2": "font/woff2",
		"d.json": "application/json", "s.svg": "image/svg+xml", "noext": "application/octet-stream",
		"w.wasm": "application/wasm", "v.mp4": "video/mp4"} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	bad := []Config{{}, {Root: dir, Index: "../x"}, {Root: dir, CacheControl: "a\r\nb"}, {Root: dir, MinCompressSize: -1}}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) = nil error, want one", c)
		}
	}
	if _, err := New(Config{Root: dir + "/missing"}); err == nil {
		t.Errorf("New with a missing root: no error")
	}
	c := Config{Root: dir}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	c.withDefaults()
	if c.Index != "index.html" || c.MinCompressSize != 1024 {
		t.Errorf("withDefaults: %+v", c)
	}
}
