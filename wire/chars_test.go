package wire

import "testing"

func TestFieldValueProblem(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "public, max-age=3600", ""},
		{"tab and obs-text", "a\tb\xff", ""},
		{"CR", "a\rb", "a line break"},
		{"LF", "a\nSet-Cookie: x", "a line break"},
		{"NUL", "a\x00", "a NUL byte"},
		{"DEL", "a\x7f", "a control character"},
		{"escape", "\x1b[31m", "a control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FieldValueProblem(tc.in); got != tc.want {
				t.Errorf("FieldValueProblem(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if ok := IsFieldValue([]byte(tc.in)); ok != (tc.want == "") {
				t.Errorf("IsFieldValue(%q) = %v, disagrees with FieldValueProblem", tc.in, ok)
			}
		})
	}
}
