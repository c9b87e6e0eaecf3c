package wsframe

import (
	"testing"
	"unicode/utf8"
)

var utf8Tests = []string{
	"", "ascii only, longer than eight bytes", "é", "€", "𝄞", "héllo wörld ✓",
	"\xff", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xed\x9f\xbf",
	"\xf4\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82", "a\x80b",
	"\xf0\x9f\x98\x80 smile", "12345678\xc3\xa9", "1234567\xc3\xa9x",
}

// TestUTF8 checks the streaming validator against unicode/utf8 for each
// input whole and cut at every point.
func TestUTF8(t *testing.T) {
	for _, s := range utf8Tests {
		want := utf8.ValidString(s)
		for cut := 0; cut <= len(s); cut++ {
			var v UTF8
			got := v.Write([]byte(s[:cut])) && v.Write([]byte(s[cut:])) && v.Done()
			if got != want {
				t.Errorf("%q cut at %d: %v, want %v", s, cut, got, want)
			}
		}
	}
}
