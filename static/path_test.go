package static

import "testing"

func TestCleanPath(t *testing.T) {
	tests := []struct {
		name, raw, want string
		wantErr         bool
	}{
		{"root", "/", "/", false},
		{"file", "/a/b.txt", "/a/b.txt", false},
		{"trailing slash kept", "/a/", "/a/", false},
		{"dot segment", "/a/./b", "/a/b", false},
		{"dotdot inside", "/a/../b", "/b", false},
		{"dotdot above root", "/../../etc/passwd", "/etc/passwd", false},
		{"dotdot at end", "/a/..", "/", false},
		{"encoded dots", "/%2e%2e/%2E%2E/x", "/x", false},
		{"double encoded stays literal", "/%252e%252e/x", "/%2e%2e/x", false},
		{"empty segments collapse", "//a///b", "/a/b", false},
		{"space", "/a%20b", "/a b", false},
		{"utf-8", "/%C3%A9t%C3%A9", "/été", false},
		{"no leading slash", "a", "", true},
		{"empty", "", "", true},
		{"encoded slash", "/a%2fb", "", true},
		{"encoded slash upper", "/a%2F..%2F..%2Fx", "", true},
		{"backslash", "/a\\b", "", true},
		{"encoded backslash", "/..%5c..%5cx", "", true},
		{"NUL", "/a%00.txt", "", true},
		{"control", "/a%0d%0ab", "", true},
		{"DEL", "/a%7f", "", true},
		{"bad escape", "/a%zz", "", true},
		{"truncated escape", "/a%2", "", true},
		{"overlong dot", "/%c0%ae%c0%ae/x", "", true},
		{"overlong slash", "/..%c0%afx", "", true},
		{"invalid utf-8", "/%ff", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cleanPath([]byte(tc.raw))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("cleanPath(%q) = %q, %v; want %q, error %v", tc.raw, got, err, tc.want, tc.wantErr)
			}
			if err == nil && !contained(got) {
				t.Errorf("cleanPath(%q) = %q is not contained", tc.raw, got)
			}
		})
	}
}

func TestHiddenAndSimple(t *testing.T) {
	for p, want := range map[string]bool{"/.git/config": true, "/a/.env": true, "/.well-known/x": false,
		"/.well-known/.x": true, "/a.b/c": false, "/": false} {
		if got := hidden(p); got != want {
			t.Errorf("hidden(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{"/a/b.txt": true, "/": true, "/a/": true, "/a//b": false,
		"/a/./b": false, "/.git": false, "/a%20b": false, "/a\\b": false, "a": false} {
		if got := simplePath([]byte(p)); got != want {
			t.Errorf("simplePath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestEscapePath(t *testing.T) {
	for in, want := range map[string]string{"/a b/": "/a%20b/", "/é": "/%C3%A9", "/a?b#c": "/a%3Fb%23c", "/x%y": "/x%25y"} {
		if got := escapePath(in); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2e/x", "/a%2fb", "/%c0%ae", "//x/./y/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := cleanPath([]byte(raw))
		if err != nil {
			return
		}
		if !contained(p) {
			t.Fatalf("cleanPath(%q) = %q escapes", raw, p)
		}
		if q, err := cleanPath([]byte(escapePath(p))); err != nil || q != p {
			t.Fatalf("clean path %q does not round-trip through escapePath: %q, %v", p, q, err)
		}
	})
}
