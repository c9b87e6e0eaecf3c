package units

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseSize checks that a size is never negative, that what parses
// writes back to the same value, and that every unit agrees with the bare
// number of bytes it stands for.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "512MiB", "9000000000G", "17179869184G", "-1", "1e9", " 10 kb ", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Fatalf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
		if strings.ContainsAny(s, "-+.eE") && !strings.ContainsAny(strings.ToUpper(s), "KMGTB") {
			t.Fatalf("ParseSize(%q) = %d: signs, fractions and exponents must not parse", s, n)
		}
	})
}

// FuzzParseDuration checks that a duration is never negative and that a
// Go duration it returns reads back the same.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30", "0.5", "1m30s", "inf", "nan", "-1s", "9223372037", "1e400", "9999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		back, err := time.ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("time.ParseDuration(%q) = %v, %v; want %v", d.String(), back, err, d)
		}
		if low := strings.ToLower(s); strings.Contains(low, "inf") || strings.Contains(low, "nan") {
			t.Fatalf("ParseDuration(%q) = %v: infinities and NaN must not parse", s, d)
		}
	})
}
