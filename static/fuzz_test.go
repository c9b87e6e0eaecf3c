package static

import (
	"bytes"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/wire"
)

// The parsers of client input in this package, each fuzzed against a
// reference written from the RFC 9110 grammar (or net/http, for dates) in
// another style than the code under test, and against invariants the RFC
// implies: ranges inside the file, results independent of how a list is
// split across field lines and, where the RFC says so, of letter case.
// Seeds are in testdata/fuzz/FuzzXxx/; each finding is one of them and a
// named case in headers_test.go.

// FuzzParseRange checks parseRange against refParseRange.
func FuzzParseRange(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		got, ignore := parseRange(nil, []byte(v), size)
		if ignore && got != nil {
			t.Fatalf("parseRange(%q, %d) ignores the field but returns %v", v, size, got)
		}
		if len(got) > maxRanges {
			t.Fatalf("parseRange(%q, %d): %d ranges, cap %d", v, size, len(got), maxRanges)
		}
		var total int64
		for _, r := range got {
			if r.start < 0 || r.length < 1 || r.start > size-r.length {
				t.Fatalf("parseRange(%q, %d): range %+v outside the file", v, size, r)
			}
			if total += r.length; total > size {
				t.Fatalf("parseRange(%q, %d): ranges total more than the file", v, size)
			}
		}
		want, wantIgnore := refParseRange(v, size)
		if ignore != wantIgnore || !equalRanges(got, want) {
			t.Fatalf("parseRange(%q, %d) = %v, %v; the grammar says %v, %v", v, size, got, ignore, want, wantIgnore)
		}
		if unit, set, ok := strings.Cut(v, "="); ok {
			for _, u := range []string{strings.ToUpper(unit), strings.ToLower(unit)} {
				if g, i := parseRange(nil, []byte(u+"="+set), size); i != ignore || !equalRanges(g, got) {
					t.Fatalf("range unit %q read differently from %q", u, unit)
				}
			}
		}
	})
}

var rangeSpec = regexp.MustCompile(`^(?:([0-9]+)-([0-9]*)|-([0-9]+))$`)

// refParseRange reads a Range field as RFC 9110 §14.1 writes it, in
// arbitrary precision, with this server's policy: at most maxRanges, and
// a set totalling more than the file is ignored.
func refParseRange(v string, size int64) ([]byteRange, bool) {
	unit, set, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(strings.Trim(unit, " \t"), "bytes") {
		return nil, true
	}
	n, sz := 0, big.NewInt(size)
	total := new(big.Int)
	var out []byteRange
	for _, spec := range strings.Split(set, ",") {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue
		}
		n++
		m := rangeSpec.FindStringSubmatch(spec)
		if m == nil {
			return nil, true
		}
		num := func(s string) *big.Int { b, _ := new(big.Int).SetString(s, 10); return b }
		var start, length *big.Int
		if m[3] != "" {
			k := num(m[3])
			if k.Sign() == 0 || size == 0 {
				continue
			}
			if k.Cmp(sz) > 0 {
				k = sz
			}
			start, length = new(big.Int).Sub(sz, k), k
		} else {
			a := num(m[1])
			end := new(big.Int).Sub(sz, big.NewInt(1))
			if m[2] != "" {
				b := num(m[2])
				if b.Cmp(a) < 0 {
					return nil, true
				}
				if b.Cmp(end) < 0 {
					end = b
				}
			}
			if a.Cmp(sz) >= 0 {
				continue
			}
			start, length = a, new(big.Int).Sub(end, a)
			length.Add(length, big.NewInt(1))
		}
		total.Add(total, length)
		out = append(out, byteRange{start.Int64(), length.Int64()})
	}
	if n == 0 || n > maxRanges || total.Cmp(sz) > 0 {
		return nil, true
	}
	return out, false
}

func equalRanges(a, b []byteRange) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzETagList checks etagListMatch against refETagMatch, for the list
// on one field line and split across two.
func FuzzETagList(f *testing.F) {
	f.Fuzz(func(t *testing.T, v, opaque string, weak bool, split uint8) {
		etag := `"` + opaque + `"`
		if !validETag(etag) {
			return
		}
		for _, name := range []string{"If-Match", "If-None-Match"} {
			var h wire.Header
			h.Add(name, v)
			got := etagListMatch(&h, name, etag, weak)
			if want := refETagMatch(v, etag, weak); got != want {
				t.Fatalf("%s: %q against %s (weak %v) = %v; the grammar says %v", name, v, etag, weak, got, want)
			}
			if a, b, ok := splitAtComma(v, split, false); ok {
				var h2 wire.Header
				h2.Add(name, a)
				h2.Add(name, b)
				if got2 := etagListMatch(&h2, name, etag, weak); got2 != got {
					t.Fatalf("%s: %q split into %q and %q = %v, one line %v", name, v, a, b, got2, got)
				}
			}
		}
	})
}

// refETagMatch splits the list first and then checks each element whole
// against If-Match = "*" / #entity-tag (RFC 9110 §13.1.1, §8.8.3).
func refETagMatch(v, etag string, weak bool) bool {
	elems := listElements(v, false)
	if len(elems) == 1 && elems[0] == "*" {
		return true
	}
	match := false
	for _, e := range elems {
		tag, isWeak := strings.CutPrefix(e, "W/")
		if !validETag(tag) {
			return false
		}
		if tag == etag && (weak || !isWeak) {
			match = true
		}
	}
	return match
}

// validETag reports whether s is an opaque-tag: DQUOTE *etagc DQUOTE.
func validETag(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; c == '"' || c < 0x21 || c == 0x7f {
			return false
		}
	}
	return true
}

// topCommas returns the offsets of the commas of v outside quoted
// strings; with escapes, a backslash in a quoted string quotes the next
// byte (quoted-pair), which entity-tags do not have.
func topCommas(v string, escapes bool) []int {
	var at []int
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case escapes && quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			at = append(at, i)
		}
	}
	return at
}

// listElements splits v at its top-level commas, OWS trimmed, empty
// elements dropped.
func listElements(v string, escapes bool) []string {
	var out []string
	from := 0
	for _, i := range append(topCommas(v, escapes), len(v)) {
		if e := strings.Trim(v[from:i], " \t"); e != "" {
			out = append(out, e)
		}
		from = i + 1
	}
	return out
}

// splitAtComma splits v at one of its top-level commas, chosen by k, into
// the values of two field lines.
func splitAtComma(v string, k uint8, escapes bool) (a, b string, ok bool) {
	at := topCommas(v, escapes)
	if len(at) == 0 {
		return "", "", false
	}
	i := at[int(k)%len(at)]
	return strings.Trim(v[:i], " \t"), strings.Trim(v[i+1:], " \t"), true
}

// FuzzAcceptEncoding checks acceptsEncoding against refAcceptsEncoding
// for values the grammar allows, and for every value that the answer does
// not depend on letter case or on the list's split across field lines.
func FuzzAcceptEncoding(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string, split uint8) {
		one := func(lines ...string) *wire.Header {
			var h wire.Header
			for _, l := range lines {
				h.Add("Accept-Encoding", l)
			}
			return &h
		}
		upper := asciiUpper(v)
		a, b, splits := splitAtComma(v, split, true)
		for _, coding := range []string{"br", "gzip", "identity"} {
			got := acceptsEncoding(one(v), coding)
			if want, valid := refAcceptsEncoding(v, coding); valid && got != want {
				t.Fatalf("%q accepts %s = %v; the grammar says %v", v, coding, got, want)
			}
			if g := acceptsEncoding(one(upper), coding); g != got {
				t.Fatalf("%q accepts %s = %v, upper case %q = %v", v, coding, got, upper, g)
			}
			if g := acceptsEncoding(one(a, b), coding); splits && g != got {
				t.Fatalf("%q accepts %s = %v, split into %q and %q = %v", v, coding, got, a, b, g)
			}
		}
	})
}

var codingElem = regexp.MustCompile("^([-!#$%&'*+.^_`|~0-9A-Za-z]+)(?:[ \t]*;[ \t]*[qQ]=(0(?:\\.[0-9]{0,3})?|1(?:\\.0{0,3})?))?$")

// refAcceptsEncoding reads Accept-Encoding = #( codings [ weight ] )
// (RFC 9110 §12.5.3) whole; valid is false when v does not match it.
// The first element naming the coding decides, else the first "*".
func refAcceptsEncoding(v, coding string) (accepted, valid bool) {
	decided, star, starSeen := -1, false, false
	for _, e := range strings.Split(v, ",") {
		e = strings.Trim(e, " \t")
		if e == "" {
			continue
		}
		m := codingElem.FindStringSubmatch(e)
		if m == nil {
			return false, false
		}
		q := 1.0
		if m[2] != "" {
			q, _ = strconv.ParseFloat(m[2], 64)
		}
		switch {
		case decided < 0 && strings.EqualFold(m[1], coding):
			decided = 0
			if q > 0 {
				decided = 1
			}
		case !starSeen && m[1] == "*":
			star, starSeen = q > 0, true
		}
	}
	if decided >= 0 {
		return decided == 1, true
	}
	return star, true
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// FuzzHTTPDate checks parseHTTPDateAt against net/http.ParseTime, which
// reads the same three forms; they differ by design in two places, both
// RFC 9110 §5.6.7: the RFC 850 form must say GMT, and its two-digit year
// is placed within 50 years of now.
func FuzzHTTPDate(f *testing.F) {
	now := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := parseHTTPDateAt([]byte(v), now)
		s := strings.Trim(v, " \t")
		ref, err := http.ParseTime(s)
		_, rfc850Err := time.Parse(rfc850Time, s)
		switch {
		case ok && err != nil:
			t.Fatalf("%q read as %v; net/http refuses it: %v", v, got, err)
		case ok && got.Location() != time.UTC:
			t.Fatalf("%q read as %v, not in UTC", v, got)
		case ok && rfc850Err != nil && !got.Equal(ref):
			t.Fatalf("%q read as %v; net/http reads %v", v, got, ref)
		case ok && rfc850Err == nil:
			if got.Year()%100 != ref.Year()%100 || !got.AddDate(ref.Year()-got.Year(), 0, 0).Equal(ref) {
				t.Fatalf("%q read as %v; net/http reads %v", v, got, ref)
			}
			if got.After(now.AddDate(50, 0, 0)) || !got.After(now.AddDate(-50, 0, 0)) {
				t.Fatalf("%q read as %v, not within 50 years of %v", v, got, now)
			}
		case !ok && err == nil:
			if _, e := time.Parse(time.RFC850, s); e != nil || strings.HasSuffix(s, " GMT") {
				t.Fatalf("%q refused; net/http reads %v", v, ref)
			}
		}
	})
}

// sniffAliases maps net/http's names for types sniff also recognises to
// sniff's (the registered or the table's name).
var sniffAliases = map[string]string{
	"application/x-gzip":           "application/gzip",
	"application/x-rar-compressed": "application/vnd.rar",
	"audio/wave":                   "audio/wav",
	"application/ogg":              "audio/ogg",
}

// FuzzSniff checks sniff against net/http's DetectContentType and the
// WHATWG binary-data-byte rule, written here in another style: only the
// first 512 bytes count; the answer is never an active type; text/plain
// means no binary byte (or a BOM) and application/octet-stream a binary
// byte (or an executable's signature); where DetectContentType names a
// passive type sniff knows by the same signature, sniff agrees.
func FuzzSniff(f *testing.F) {
	allowed := map[string]bool{textPlain: true, octetStream: true,
		"text/plain; charset=utf-16be": true, "text/plain; charset=utf-16le": true}
	for _, s := range signatures {
		allowed[s.ctype] = true
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := sniff(b)
		head := b
		if len(head) > 512 {
			head = head[:512]
		}
		if again := sniff(head); again != got {
			t.Fatalf("sniff(%q) = %q but %q on its first 512 bytes", b, got, again)
		}
		if !allowed[got] {
			t.Fatalf("sniff(%q) = %q, not a type it may answer", b, got)
		}
		binary := strings.IndexFunc(string(head), func(r rune) bool {
			return r >= 0 && r < 0x20 && !strings.ContainsRune("\t\n\f\r\x1b", r)
		}) >= 0
		bom := bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) || bytes.HasPrefix(head, []byte("\xfe\xff")) || bytes.HasPrefix(head, []byte("\xff\xfe"))
		elf := bytes.HasPrefix(head, []byte("\x7fELF"))
		switch {
		case got == textPlain && binary && !bom:
			t.Fatalf("sniff(%q) = text, but it has a binary byte", b)
		case got == octetStream && !binary && !elf:
			t.Fatalf("sniff(%q) = binary, but it has no binary byte", b)
		}
		ref := http.DetectContentType(b)
		if a, ok := sniffAliases[ref]; ok {
			ref = a
		}
		switch {
		case strings.HasPrefix(ref, "text/plain"):
			if (got == textPlain || got == octetStream) && ref != got && !elf && !(ref == textPlain && binary) {
				t.Fatalf("sniff(%q) = %q; net/http says %q", b, got, ref)
			}
		case ref == "image/bmp", ref == "audio/mpeg", ref == "font/otf", ref == "video/mp4":
			// sniff asks more of these signatures, which text can start with.
		case allowed[ref] && ref != octetStream && got != ref:
			t.Fatalf("sniff(%q) = %q; net/http says %q", b, got, ref)
		}
	})
}
