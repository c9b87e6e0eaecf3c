package units

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string // a part of the error; "" for none
	}{
		{"0", 0, ""},
		{"1048576", 1 << 20, ""},
		{"512M", 512 << 20, ""},
		{"512MB", 512 << 20, ""},
		{"512MiB", 512 << 20, ""},
		{"512mib", 512 << 20, ""},
		{" 10 KiB ", 10 << 10, ""},
		{"1T", 1 << 40, ""},
		{"7B", 7, ""},
		{"8589934591G", 8589934591 << 30, ""},
		{"9223372036854775807", math.MaxInt64, ""},
		// Used to wrap to a negative number in the flag parser.
		{"9000000000G", 0, "too large"},
		// Used to wrap to 0, "no bound", in the flag parser.
		{"17179869184G", 0, "too large"},
		{"8589934592G", 0, "too large"},
		{"9223372036854775808", 0, "too large"},
		{"99999999999999999999999", 0, "too large"},
		{"-1", 0, "negative"},
		{"-5M", 0, "negative"},
		{"+5M", 0, "not a size"},
		{"1.5G", 0, "not a size"},
		{"1e9", 0, "not a size"},
		{"", 0, "not a size"},
		{"M", 0, "not a size"},
		{"inf", 0, "not a size"},
		{"NaN", 0, "not a size"},
		{"0x10", 0, "not a size"},
		{"1_000", 0, "not a size"},
		{"10 PiB", 0, "not a size"},
		{"10 MiBs", 0, "not a size"},
		{"512 mb", 512 << 20, ""},
		{"8388607T", 8388607 << 40, ""},
		{"8388608T", 0, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("ParseSize(%q) = %d, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"30", 30 * time.Second, ""},
		{"0.5", 500 * time.Millisecond, ""},
		{"1.", time.Second, ""},
		{".25", 250 * time.Millisecond, ""},
		{"0", 0, ""},
		{"30s", 30 * time.Second, ""},
		{"1m30s", 90 * time.Second, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{" 2h ", 2 * time.Hour, ""},
		{"9223372036", 9223372036 * time.Second, ""},
		// Used to become 30 s: ParseFloat takes "inf" and the product
		// overflows.
		{"inf", 0, "not a duration"},
		{"+Inf", 0, "not a duration"},
		{"Infinity", 0, "not a duration"},
		{"nan", 0, "not a duration"},
		{"NaN", 0, "not a duration"},
		{"1e3", 0, "not a duration"},
		{"0x1p4", 0, "not a duration"},
		{"1_0", 0, "not a duration"},
		{"9223372037", 0, "too long"},
		{"1e400", 0, "not a duration"},
		{"99999999999999999999", 0, "too long"},
		{"9999999999h", 0, "too long"},
		{"300000000000000000000s", 0, "too long"},
		{"-1", 0, "negative"},
		{"-1s", 0, "negative"},
		{"", 0, "not a duration"},
		{"s", 0, "not a duration"},
		{"30 s", 0, "not a duration"},
		{"1.2.3", 0, "not a duration"},
		{"10x", 0, "not a duration"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("ParseDuration(%q) = %v, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 100: "100", 1024: "1KiB", 1536: "1536", 10 << 20: "10MiB", 3 << 40: "3TiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	}
}

// TestFlagValues checks that a bad flag leaves the value as it was.
func TestFlagValues(t *testing.T) {
	n := int64(5)
	if err := (Size{&n}).Set("17179869184G"); err == nil || n != 5 {
		t.Errorf("Size.Set overflow: err %v, value %d", err, n)
	}
	d := 7 * time.Second
	if err := (Duration{&d}).Set("inf"); err == nil || d != 7*time.Second {
		t.Errorf("Duration.Set(inf): err %v, value %v", err, d)
	}
	if err := (Duration{&d}).Set("1.5"); err != nil || d != 1500*time.Millisecond {
		t.Errorf("Duration.Set(1.5): err %v, value %v", err, d)
	}
}
