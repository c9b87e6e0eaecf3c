package testutil

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test.
type recorder struct {
	testing.TB
	outcome string // "", "skip", "fail" or "error"
	msg     string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.outcome, r.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.outcome, r.msg = "fail", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Errorf(format string, args ...any) {
	r.outcome, r.msg = "error", fmt.Sprintf(format, args...)
}
func (r *recorder) Logf(format string, args ...any) { r.msg = fmt.Sprintf(format, args...) }

// run calls f with a recorder on a goroutine of its own, as Skipf and
// Fatalf end the goroutine.
func run(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// TestNeed: a missing program skips the test, or fails it when
// BRICK_REQUIRE_TOOLS is set; what is there lets the test go on.
func TestNeed(t *testing.T) {
	missing := errors.New("not found")
	tests := []struct {
		name    string
		env     string
		err     error
		need    string // Need's outcome
		want    string // Want's outcome
		wantHas bool
	}{
		{"there", "", nil, "", "", true},
		{"there, required", "1", nil, "", "", true},
		{"missing", "", missing, "skip", "", false},
		{"missing, required", "1", missing, "fail", "error", false},
		{"missing, BRICK_REQUIRE_TOOLS=0", "0", missing, "skip", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(RequireTools, tc.env)
			if r := run(t, func(tb testing.TB) { Need(tb, "curl", tc.err) }); r.outcome != tc.need {
				t.Errorf("Need: %q (%s), want %q", r.outcome, r.msg, tc.need)
			}
			var has bool
			if r := run(t, func(tb testing.TB) { has = Want(tb, "curl", tc.err) }); r.outcome != tc.want || has != tc.wantHas {
				t.Errorf("Want = %v: %q (%s), want %v %q", has, r.outcome, r.msg, tc.wantHas, tc.want)
			}
		})
	}
}

// TestLookPath: the first name found wins; none found is Need's case.
func TestLookPath(t *testing.T) {
	t.Setenv(RequireTools, "1")
	var path string
	if r := run(t, func(tb testing.TB) { path = LookPath(tb, "no-such-program-brick", "sh") }); r.outcome != "" || path == "" {
		t.Errorf("LookPath(no-such-program-brick, sh) = %q: %q %s", path, r.outcome, r.msg)
	}
	if r := run(t, func(tb testing.TB) { LookPath(tb, "no-such-program-brick") }); r.outcome != "fail" {
		t.Errorf("LookPath of a missing program with %s=1: %q, want a failure", RequireTools, r.outcome)
	}
}
