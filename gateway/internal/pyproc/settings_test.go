package pyproc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/units"
)

var testKind = Kind{Name: "wsgi", AppExample: "mysite.wsgi:application", AppExamples: `"mysite.wsgi:application"`}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	ok := func() Settings { s := DefaultSettings(); s.App = "app:application"; s.Provision(); return s }
	for _, tc := range []struct {
		name  string
		edit  func(*Settings)
		extra []Check
		want  []string // "key: message", in order
	}{
		{"defaults", func(*Settings) {}, nil, nil},
		{"no app", func(s *Settings) { s.App = "" }, nil,
			[]string{`app: wsgi app is missing; give module:callable, e.g. app = "mysite.wsgi:application"`}},
		{"bad app", func(s *Settings) { s.App = "no such:app" }, nil,
			[]string{`app: wsgi app "no such:app" is not a Python module path and callable, module:callable (e.g. "mysite.wsgi:application")`}},
		{"env", func(s *Settings) { s.Env = []string{"NOEQUALS", "K=a\x00b"} }, nil,
			[]string{`env: wsgi env entry "NOEQUALS" is not NAME=value`, "env.K: wsgi env K contains a NUL byte"}},
		{"mount", func(s *Settings) { s.Mount = "/app/" }, nil,
			[]string{`mount: wsgi mount "/app/" must be "" or a path starting, and not ending, with "/" (e.g. "/app")`}},
		{"numbers then extra", func(s *Settings) { s.Grace = 0; s.MaxMemory = -1 }, []Check{{"queue", true, "must be positive"}},
			[]string{"grace: wsgi grace must be positive", "max_memory: wsgi max_memory must not be negative (0: no bound)", "queue: wsgi queue must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok()
			tc.edit(&s)
			var got []string
			for _, err := range s.Validate(testKind, tc.extra...) {
				var fe *units.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("%v is not a *units.FieldError", err)
				}
				got = append(got, fe.Key+": "+err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	var s Settings
	s.FillZero()
	s.MaxRequests, s.MaxRequestsJitter = 50, -1
	s.Provision()
	if s.Timeout != 30*time.Second || s.StartTimeout != time.Minute || s.Grace != 30*time.Second || s.MaxRequestsJitter != 5 {
		t.Errorf("defaults: %+v", s)
	}
}

func TestRequestLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		max, jitter int
		lo, hi      int
	}{
		{"never", 0, 10, 0, 0},
		{"no jitter", 100, 0, 100, 100},
		{"jitter", 100, 10, 100, 110},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Settings{MaxRequests: tc.max, MaxRequestsJitter: tc.jitter}
			seen := map[int]bool{}
			for range 1000 {
				n := s.RequestLimit()
				if n < tc.lo || n > tc.hi {
					t.Fatalf("RequestLimit() = %d, want %d..%d", n, tc.lo, tc.hi)
				}
				seen[n] = true
			}
			if want := min(tc.hi-tc.lo+1, 11); len(seen) != want {
				t.Errorf("%d distinct limits, want %d", len(seen), want)
			}
		})
	}
}
