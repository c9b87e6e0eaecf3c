package service_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestPHPRoute: a php route is built from the file, under its prefix,
// with its root relative to the file: its files are served as they are,
// its scripts go to PHP-FPM (down here: 502), and the prefix without its
// slash redirects to it.
func TestPHPRoute(t *testing.T) {
	f := load(t, `[server]
listen = ["127.0.0.1:0"]
[[site]]
[[site.route]]
path = "/blog"
php = { root = "www", fastcgi = "unix:/nonexistent/brick-test-php.sock" }
`, func(dir string) {
		os.MkdirAll(filepath.Join(dir, "www"), 0o755)
		os.WriteFile(filepath.Join(dir, "www", "index.php"), []byte("<?php echo 1;"), 0o644)
		os.WriteFile(filepath.Join(dir, "www", "a.txt"), []byte("plain file"), 0o644)
	})
	for _, tc := range []struct {
		path, location, body string
		status               int
	}{
		{"/blog/a.txt", "", "plain file", 200},
		{"/blog/index.php", "", "Bad Gateway: PHP is not reachable\n", 502},
		{"/blog/any/path", "", "Bad Gateway: PHP is not reachable\n", 502},
		{"/blog?x=1", "/blog/?x=1", "", 301},
	} {
		resp, err := noRedirect.Get(f.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || tc.body != "" && string(b) != tc.body || resp.Header.Get("Location") != tc.location {
			t.Errorf("GET %s: %d %q Location %q; want %d %q %q", tc.path, resp.StatusCode, b, resp.Header.Get("Location"), tc.status, tc.body, tc.location)
		}
	}
}
