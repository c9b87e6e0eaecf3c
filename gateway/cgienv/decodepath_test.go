package cgienv

import "testing"

// TestDecodePath: DecodePath applies Build's rules to a path on its own.
func TestDecodePath(t *testing.T) {
	tests := []struct {
		raw, want string
		err       error
	}{
		{"/cgi-bin/x.sh/a%20b", "/cgi-bin/x.sh/a b", nil},
		{"/a%2Fb", "/a/b", nil},
		{"/a%252F", "/a%2F", nil},
		{"/plain", "/plain", nil},
		{"/a/../b", "", ErrBadPath},
		{"/a/%2e%2e/b", "", ErrBadPath},
		{"/a%00", "", ErrBadPath},
		{"/a%zz", "", ErrBadPath},
	}
	for _, tc := range tests {
		got, err := DecodePath([]byte(tc.raw))
		if got != tc.want || err != tc.err {
			t.Errorf("DecodePath(%q) = %q, %v; want %q, %v", tc.raw, got, err, tc.want, tc.err)
		}
	}
}
