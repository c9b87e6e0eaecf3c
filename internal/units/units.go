// Package units parses the sizes and durations of Brick's configuration,
// once for the flags and the file alike: a size such as "512MiB" and a
// duration such as "1m30s" or "30" (seconds, as gunicorn's --timeout)
// mean the same wherever they are written. Out-of-range, negative, NaN and
// infinite values are errors, never a wrapped or default value.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the suffixes ParseSize knows, longest first so that
// "KiB" is not read as "B" after a "Ki".
var sizeUnits = []struct {
	suffix string
	shift  uint
}{
	{"KIB", 10}, {"MIB", 20}, {"GIB", 30}, {"TIB", 40},
	{"KB", 10}, {"MB", 20}, {"GB", 30}, {"TB", 40},
	{"K", 10}, {"M", 20}, {"G", 30}, {"T", 40}, {"B", 0},
}

// ParseSize parses a byte count: decimal digits with an optional unit, K,
// M, G or T, with or without "B" or "iB", in any case, and spaces around
// the number. Every unit is a power of 1024, as in nginx: "512M", "512MB"
// and "512MiB" are all 512×2²⁰ bytes. A value that does not fit an int64
// is an error, as is a sign, a fraction or an exponent.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	upper := strings.ToUpper(t)
	var shift uint
	for _, u := range sizeUnits {
		if strings.HasSuffix(upper, u.suffix) {
			t, shift = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.shift
			break
		}
	}
	if t == "" || strings.TrimLeft(t, "0123456789") != "" {
		if strings.HasPrefix(t, "-") {
			return 0, fmt.Errorf("%q: a size cannot be negative", s)
		}
		return 0, fmt.Errorf("%q is not a size; write e.g. \"10MiB\", \"512K\" or a number of bytes", s)
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is too large; the largest size is 8EiB-1 (%d bytes)", s, int64(math.MaxInt64))
	}
	return n << shift, nil
}

// FormatSize writes a byte count with the largest binary unit that
// divides it, as ParseSize reads it back: "10MiB", "1536KiB", "100".
func FormatSize(n int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n > 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// errDuration words every malformed duration alike.
func errDuration(s string) error {
	return fmt.Errorf("%q is not a duration; write e.g. \"30s\", \"1m30s\", \"500ms\", or a number of seconds", s)
}

// ParseDuration parses a duration: a Go duration ("30s", "1m30s",
// "500ms") or a plain decimal number of seconds ("30", "0.5"), as
// gunicorn's --timeout takes it. Negative, NaN, infinite and out-of-range
// values (beyond about 292 years) are errors; zero is returned as zero
// for the caller to judge.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errDuration(s)
	}
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("%q: a duration cannot be negative", s)
	}
	if plainNumber(t) {
		f, err := strconv.ParseFloat(t, 64)
		secs := f * float64(time.Second)
		// float64(MaxInt64) rounds up to 2⁶³, which does not convert.
		if err != nil || secs >= math.MaxInt64 {
			return 0, fmt.Errorf("%q seconds is too long; the longest duration is about 292 years", s)
		}
		return time.Duration(secs), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		// time.ParseDuration words overflow as it words a typo: the
		// same text with small numbers tells them apart.
		if _, err := time.ParseDuration(shrinkNumbers(t)); err == nil {
			return 0, fmt.Errorf("%q is too long; the longest duration is about 292 years", s)
		}
		return 0, errDuration(s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: a duration cannot be negative", s)
	}
	return d, nil
}

// shrinkNumbers replaces every run of digits by "1".
func shrinkNumbers(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if i == 0 || s[i-1] < '0' || s[i-1] > '9' {
				b.WriteByte('1')
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// plainNumber reports digits with at most one decimal point: what
// ParseDuration reads as seconds. It excludes what ParseFloat would also
// take (signs, exponents, "inf", "nan", hexadecimal, underscores).
func plainNumber(s string) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// Size is a flag.Value that sets a byte count with ParseSize.
type Size struct{ P *int64 }

func (v Size) String() string {
	if v.P == nil {
		return "0" // the zero value, which flag.PrintDefaults compares with
	}
	return FormatSize(*v.P)
}

// Set parses s; on error the value is unchanged.
func (v Size) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*v.P = n
	return nil
}

// Duration is a flag.Value that sets a duration with ParseDuration.
type Duration struct{ P *time.Duration }

func (v Duration) String() string {
	if v.P == nil {
		return "0s"
	}
	return v.P.String()
}

// Set parses s; on error the value is unchanged.
func (v Duration) Set(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*v.P = d
	return nil
}

// FieldError is a problem with one setting of a feature's configuration,
// named by its key in the configuration file ("max_memory"); the flag of
// the same setting is the key with dashes ("-max-memory"). A feature's
// Validate returns these, joined, so that the file can point at the line
// and the command line at the flag.
type FieldError struct {
	Key     string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// Errorf makes a *FieldError for key.
func Errorf(key, format string, args ...any) *FieldError {
	return &FieldError{Key: key, Message: fmt.Sprintf(format, args...)}
}
