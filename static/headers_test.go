package static

import (
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
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
		// Findings of FuzzParseRange and the review.
		{"unit case-insensitive", "Bytes=0-0", []byteRange{{0, 1}}, false},
		{"unit upper case", "BYTES=-1", []byteRange{{999, 1}}, false},
		{"amplification with unsatisfiable between", "bytes=0-,2000-,0-", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ignore := parseRange(nil, []byte(tc.v), size)
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

// TestParseRangeExtremes covers sizes and positions near the int64 limit:
// findings of FuzzParseRange.
func TestParseRangeExtremes(t *testing.T) {
	const huge = "99999999999999999999" // past int64
	tests := []struct {
		name   string
		v      string
		size   int64
		want   []byteRange
		ignore bool
	}{
		{"total overflows int64", "bytes=0-,0-,0-,0-", 1<<62 + 1, nil, true},
		{"last-pos past int64", "bytes=0-" + huge, 1000, []byteRange{{0, 1000}}, false},
		{"first-pos past int64", "bytes=" + huge + "-", 1000, nil, false},
		{"suffix past int64", "bytes=-" + huge, 1000, []byteRange{{0, 1000}}, false},
		{"both past int64, reversed", "bytes=" + huge + "-" + huge[1:] + "8", 1000, nil, true},
		{"both past int64, in order", "bytes=" + huge + "-" + huge + "9", 1000, nil, false},
		{"empty file", "bytes=0-", 0, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ignore := parseRange(nil, []byte(tc.v), tc.size)
			if ignore != tc.ignore || len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
				t.Fatalf("parseRange(%q, %d) = %v, %v; want %v, %v", tc.v, tc.size, got, ignore, tc.want, tc.ignore)
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
		// Findings of FuzzETagList and the review.
		{"if-none-match in a second field line", [][2]string{{"If-None-Match", `"x"`}, {"If-None-Match", etag}}, 304},
		{"if-match in a second field line", [][2]string{{"If-Match", `"x"`}, {"If-Match", etag}}, 0},
		{"if-none-match malformed after the match", [][2]string{{"If-None-Match", etag + `, junk`}}, 0},
		{"if-none-match tags not separated", [][2]string{{"If-None-Match", `"x"` + etag}}, 0},
		{"if-none-match star in a list", [][2]string{{"If-None-Match", `*, "x"`}}, 0},
		{"if-none-match star with a prefix", [][2]string{{"If-None-Match", `*x`}}, 0},
		{"if-none-match star in two lines", [][2]string{{"If-None-Match", "*"}, {"If-None-Match", `"x"`}}, 0},
		{"if-none-match star, empty elements", [][2]string{{"If-None-Match", " , *, "}}, 304},
		{"if-none-match space in a tag", [][2]string{{"If-None-Match", `"a b", ` + etag}}, 0},
		{"if-none-match comma in a tag", [][2]string{{"If-None-Match", `"a,b", ` + etag}}, 304},
		{"if-match malformed is 412", [][2]string{{"If-Match", etag + ` junk`}}, 412},
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
		name   string
		lines  []string // Accept-Encoding field lines
		coding string
		want   bool
	}{
		{"listed last", []string{"gzip, deflate, br"}, "br", true},
		{"listed first", []string{"gzip, deflate, br"}, "gzip", true},
		{"q zero", []string{"gzip;q=0"}, "gzip", false},
		{"q zero with decimals", []string{"gzip;q=0.000"}, "gzip", false},
		{"q half", []string{"gzip;q=0.5"}, "gzip", true},
		{"upper case name", []string{"GZIP"}, "gzip", true},
		{"star", []string{"*"}, "br", true},
		{"star refused, other named", []string{"*;q=0, gzip"}, "br", false},
		{"named overrides star after it", []string{"*, br;q=0"}, "br", false},
		{"identity only", []string{"identity"}, "gzip", false},
		{"empty", []string{""}, "gzip", false},
		{"absent", nil, "gzip", false},
		{"OWS around semicolon", []string{"br ; q=1"}, "br", true},
		{"upper case Q", []string{"br;Q=0"}, "br", false},
		{"empty elements", []string{", ,br,"}, "br", true},
		// Findings of FuzzAcceptEncoding and the review.
		{"second field line", []string{"gzip", "br"}, "br", true},
		{"zero in a second field line", []string{"gzip", "br;q=0", "*"}, "br", false},
		{"comma in a quoted parameter", []string{`x;a=", br;q=1", gzip`}, "br", false},
		{"escaped quote in a parameter", []string{`x;a="\", br;q=1", gzip`}, "br", false},
		{"weight above 1 is malformed", []string{"br;q=2"}, "br", false},
		{"weight not a number is malformed", []string{"br;q=high"}, "br", false},
		{"four decimals is malformed", []string{"br;q=0.0001"}, "br", false},
		{"malformed element, star", []string{"br;q=x, *"}, "br", true},
		{"name not a token", []string{"b r"}, "br", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h wire.Header
			for _, l := range tc.lines {
				h.Add("Accept-Encoding", l)
			}
			if got := acceptsEncoding(&h, tc.coding); got != tc.want {
				t.Errorf("acceptsEncoding(%q, %s) = %v, want %v", tc.lines, tc.coding, got, tc.want)
			}
		})
	}
}

// TestContentType: the extension decides when the table knows it, in any
// case; otherwise the first bytes do, and markup without an extension that
// says so stays text/plain.
func TestContentType(t *testing.T) {
	tests := []struct{ name, head, want string }{
		{"a.html", "", "text/html; charset=utf-8"},
		{"A.CSS", "", "text/css; charset=utf-8"},
		{"x.js", "", "text/javascript; charset=utf-8"},
		{"p.png", "not a png", "image/png"},
		{"f.woff2", "", "font/woff2"},
		{"d.json", "", "application/json"},
		{"s.svg", "", "image/svg+xml"},
		{"w.wasm", "", "application/wasm"},
		{"v.mp4", "", "video/mp4"},
		{"index.rst", "\x00", "text/plain; charset=utf-8"},
		{"NOTES.MD", "", "text/markdown; charset=utf-8"},
		{"README", "Brick\n=====\n\tA web server.\r\n\f\x1b[0m", "text/plain; charset=utf-8"},
		{"LICENSE", "", "text/plain; charset=utf-8"},
		{"copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", "text/plain; charset=utf-8"},
		{"page", "<!DOCTYPE html><script>alert(1)</script>", "text/plain; charset=utf-8"},
		{"data.xml.bak", "<?xml version=\"1.0\"?><svg onload=alert(1)/>", "text/plain; charset=utf-8"},
		{"utf8bom", "\xef\xbb\xbfhello", "text/plain; charset=utf-8"},
		{"utf16le", "\xff\xfeh\x00i\x00", "text/plain; charset=utf-16le"},
		{"utf16be", "\xfe\xff\x00h\x00i", "text/plain; charset=utf-16be"},
		{"noext", "binary\x00data", "application/octet-stream"},
		{"program", "\x7fELF\x02\x01\x01", "application/octet-stream"},
		{"image", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"},
		{"photo", "\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"},
		{"anim", "GIF89a\x01\x00", "image/gif"},
		{"pic", "RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"doc", "%PDF-1.7\n", "application/pdf"},
		{"archive", "PK\x03\x04\x14\x00", "application/zip"},
		{"backup", "\x1f\x8b\x08\x00", "application/gzip"},
		{"bitmap", "BM\x36\x00\x0c\x00\x00\x00\x00\x00", "image/bmp"},
		{"bmw", "BMW 320i, 1998\n", "text/plain; charset=utf-8"},
		{"x.unknownext", "plain words", "text/plain; charset=utf-8"},
		{"late binary", strings.Repeat("a", sniffLen) + "\x00", "text/plain; charset=utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := contentType(tc.name, []byte(tc.head)); got != tc.want {
				t.Errorf("contentType(%q, %q) = %q, want %q", tc.name, tc.head, got, tc.want)
			}
		})
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

func TestParseHTTPDate(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		name string
		v    string
		now  time.Time
		want time.Time // zero: not a date
	}{
		{"IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", now, utc(1994, 11, 6, 8, 49, 37)},
		{"rfc850", "Sunday, 06-Nov-94 08:49:37 GMT", now, utc(1994, 11, 6, 8, 49, 37)},
		{"asctime", "Sun Nov  6 08:49:37 1994", now, utc(1994, 11, 6, 8, 49, 37)},
		{"OWS around", " \tSun, 06 Nov 1994 08:49:37 GMT ", now, utc(1994, 11, 6, 8, 49, 37)},
		{"garbage", "yesterday", now, time.Time{}},
		{"empty", "", now, time.Time{}},
		{"IMF-fixdate in another zone", "Sun, 06 Nov 1994 08:49:37 PST", now, time.Time{}},
		// Findings of FuzzHTTPDate (net/http.ParseTime as the reference)
		// and RFC 9110 §5.6.7.
		{"rfc850 in another zone", "Sunday, 06-Nov-94 08:49:37 PST", now, time.Time{}},
		{"rfc850 exactly 50 years ahead", "Saturday, 05-Dec-76 00:00:00 GMT", now, utc(2076, 12, 5, 0, 0, 0)},
		{"rfc850 more than 50 years ahead", "Sunday, 06-Dec-76 00:00:00 GMT", now, utc(1976, 12, 6, 0, 0, 0)},
		{"rfc850 next century", "Monday, 06-Nov-10 08:49:37 GMT", time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC), utc(2110, 11, 6, 8, 49, 37)},
		{"rfc850 recent past", "Monday, 06-Nov-17 08:49:37 GMT", now, utc(2017, 11, 6, 8, 49, 37)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseHTTPDateAt([]byte(tc.v), tc.now)
			if ok != !tc.want.IsZero() || ok && !got.Equal(tc.want) {
				t.Errorf("parseHTTPDateAt(%q) = %v, %v; want %v", tc.v, got, ok, tc.want)
			}
		})
	}
}
