package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFirstMinutesStatic runs `brick DIR` as a new user would and checks
// what issue 10 found in the way: files without a known extension shown
// as text, a listing whose every link answers, and a symlink out of the
// root logged once with the flag that allows it.
func TestFirstMinutesStatic(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "www")
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"README":            "Brick\n=====\nA web server.\n",
		"guide.rst":         "Guide\n-----\n",
		"docs/a\\b.txt":     "backslash",
		"docs/new\nline":    "newline",
		"docs/latin1-\xe9":  "not UTF-8",
		"docs/plain.txt":    "plain",
		"docs/blob":         "\x00\x01\x02binary",
		"docs/page-no-ext":  "<html><script>alert(1)</script></html>",
		"docs/space name.c": "int main;",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(parent, "outside"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(parent, "outside"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}

	p := start(t, "-addr", "127.0.0.1:0", dir)
	base := "http://" + p.addr

	types := []struct{ path, want string }{
		{"/README", "text/plain; charset=utf-8"},
		{"/guide.rst", "text/plain; charset=utf-8"},
		{"/docs/blob", "application/octet-stream"},
		// Markup without an extension is shown, never run.
		{"/docs/page-no-ext", "text/plain; charset=utf-8"},
	}
	for _, tc := range types {
		status, _, h := get(t, base+tc.path)
		if status != 200 || h.Get("Content-Type") != tc.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tc.path, status, h.Get("Content-Type"), tc.want)
		}
	}

	status, listing, _ := get(t, base+"/docs/")
	if status != 200 {
		t.Fatalf("GET /docs/ = %d", status)
	}
	links := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(listing, -1)
	if len(links) < 3 {
		t.Fatalf("listing has %d links:\n%s", len(links), listing)
	}
	for _, m := range links {
		link := strings.ReplaceAll(m[1], "&amp;", "&")
		url := base + "/docs/" + link
		if strings.HasPrefix(link, "/") {
			url = base + link
		}
		if status, _, _ := get(t, url); status != 200 {
			t.Errorf("listing link %q answers %d", m[1], status)
		}
	}
	if !strings.Contains(listing, "plain.txt") || !strings.Contains(listing, "space%20name.c") {
		t.Errorf("listing lacks ordinary names:\n%s", listing)
	}

	for range 3 {
		if status, body, _ := get(t, base+"/escape"); status != 403 || strings.Contains(body, "secret") {
			t.Errorf("GET /escape = %d %q, want 403", status, body)
		}
	}
	waitOutput(t, "the symlink warning", p.output, "-follow-symlinks")
	time.Sleep(200 * time.Millisecond) // a second line would be written by now
	if n := strings.Count(p.output(), "-follow-symlinks"); n != 1 {
		t.Errorf("the symlink warning appears %d times for 3 requests, want once:\n%s", n, p.output())
	}
}

// TestFirstMinutesWSGIMessages checks that a failing `brick wsgi` start
// says what is wrong, not something else: a --chdir that does not exist,
// and a --python that is Python 2.
func TestFirstMinutesWSGIMessages(t *testing.T) {
	dir := t.TempDir()
	python2 := filepath.Join(dir, "python")
	script := "#!/bin/sh\necho 'Python 2.7.18' >&2\necho 'Python 2.7.18'\nexit 0\n"
	if err := os.WriteFile(python2, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"chdir missing", []string{"wsgi", "-addr", "127.0.0.1:0", "-chdir", filepath.Join(dir, "nope"), "app:app"}, "does not exist"},
		{"python 2", []string{"wsgi", "-addr", "127.0.0.1:0", "-python", python2, "-chdir", dir, "app:app"}, "Python 3 is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runBinary(t, dir, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("brick %q: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
			}
			if strings.Contains(stderr, "install Python") {
				t.Errorf("brick %q blames the interpreter: %q", tc.args, stderr)
			}
		})
	}
}
