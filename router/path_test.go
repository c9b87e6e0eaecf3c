package router

import "testing"

func TestMatchPath(t *testing.T) {
	tests := []struct {
		raw  string
		want string // "" for refused
	}{
		{"/", "/"},
		{"/a/b", "/a/b"},
		{"/a/b/", "/a/b/"},
		{"*", "/"},
		{"", "/"},
		{"//a//b//", "/a/b/"},
		{"/a/./b", "/a/b"},
		{"/a/.", "/a/"},
		{"/a/..", "/"},
		{"/a/b/..", "/a/"},
		{"/a/b/../c", "/a/c"},
		{"/public/../admin", "/admin"},
		{"/%61dmin", "/admin"},
		{"/admin%2Fusers", "/admin/users"},
		{"/admin%2fusers", "/admin/users"},
		{"/a/%2e%2e/admin", "/admin"},
		{"/a/%2E%2e/admin", "/admin"},
		{"/a/.%2e/admin", "/admin"},
		{"/a/%2e/b", "/a/b"},
		{"/%252e%252e/x", "/%2e%2e/x"}, // decoded once only
		{"/caf%C3%A9/", "/caf\xc3\xa9/"},
		{"/.well-known/x", "/.well-known/x"},
		{"/a/.hidden", "/a/.hidden"},
		{"/a/..b", "/a/..b"},
		{"/a/...", "/a/..."},
		{"/%2F%2Fevil.com", "/evil.com"},
		{"/..", ""},
		{"/../etc/passwd", ""},
		{"/a/../../etc", ""},
		{"/%2e%2e/etc", ""},
		{"/a\\b", ""},
		{"/a%5cb", ""},
		{"/a%5Cb", ""},
		{"/a%", ""},
		{"/a%2", ""},
		{"/a%zz", ""},
		{"/a%2g", ""},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			var buf [8]byte // small, so long paths also take the heap way
			p, ok := matchPath(buf[:0], []byte(tc.raw))
			got := string(p)
			if !ok {
				got = ""
			}
			if got != tc.want {
				t.Errorf("matchPath(%q) = %q, %v; want %q", tc.raw, p, ok, tc.want)
			}
		})
	}
}

func TestHasPathPrefix(t *testing.T) {
	tests := []struct {
		path, prefix string
		want         bool
	}{
		{"/api", "/api", true},
		{"/api/", "/api", true},
		{"/api/x", "/api", true},
		{"/apix", "/api", false},
		{"/ap", "/api", false},
		{"/static/", "/static/", true},
		{"/static/a.css", "/static/", true},
		{"/static", "/static/", false},
		{"/staticx", "/static/", false},
		{"/anything", "/", true},
		{"/", "/", true},
	}
	for _, tc := range tests {
		if got := hasPathPrefix([]byte(tc.path), tc.prefix); got != tc.want {
			t.Errorf("hasPathPrefix(%q, %q) = %v, want %v", tc.path, tc.prefix, got, tc.want)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, ok := range []string{"/", "/api", "/static/", "/café/", "/100%", "/a/b.c/", "/.well-known/"} {
		if err := checkPrefix(ok); err != nil {
			t.Errorf("checkPrefix(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "api", "//", "/a//b", "/a/./b", "/a/..", "/a/../b/", "/a\\b", "/a\nb"} {
		if err := checkPrefix(bad); err == nil {
			t.Errorf("checkPrefix(%q) accepted", bad)
		}
	}
}

func TestHostKey(t *testing.T) {
	tests := []struct{ host, want string }{
		{"example.com", "example.com"},
		{"Example.COM", "example.com"},
		{"example.com:8080", "example.com"},
		{"example.com.", "example.com"},
		{"EXAMPLE.com.:443", "example.com"},
		{"[::1]:8080", "[::1]"},
		{"[::1]", "[::1]"},
		{"[2001:DB8::1]", "[2001:db8::1]"},
		{"127.0.0.1:80", "127.0.0.1"},
		{"", ""},
		{":80", ""},
		{".", ""},
	}
	for _, tc := range tests {
		var buf [maxHost]byte
		if got := string(hostKey(&buf, []byte(tc.host))); got != tc.want {
			t.Errorf("hostKey(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}
