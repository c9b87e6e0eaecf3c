package fastcgi

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResolve: which script or file answers a path, by Caddy's
// php_fastcgi rules, with the split only at an existing .php file.
func TestResolve(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"index.php", "a.php", "UP.PHP", "sub/index.php", "sub/x.php", "img/evil.jpg", "style.css",
		"dir.php/inner.php", ".hidden/s.php", "noindex/file.txt"} {
		p := filepath.Join(root, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	bare := t.TempDir()
	os.WriteFile(filepath.Join(bare, "only.php"), []byte("x"), 0o644)
	// Links: one inside the root runs, one leading out of it does not.
	outside := filepath.Join(t.TempDir(), "secret.php")
	os.WriteFile(outside, []byte("x"), 0o644)
	os.Symlink(outside, filepath.Join(root, "escape.php"))
	os.Symlink("a.php", filepath.Join(root, "alias.php")) // relative: os.Root follows it
	os.Symlink(filepath.Dir(outside), filepath.Join(root, "outdir"))
	open := func(dir string) *os.Root {
		r, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	roots := map[string]*os.Root{root: open(root), bare: open(bare)}
	for _, tc := range []struct {
		root, path string
		want       target
	}{
		{root, "/a.php", target{kind: runScript, script: "/a.php"}},
		{root, "/a.php/more/info", target{kind: runScript, script: "/a.php", info: "/more/info"}},
		{root, "/a.php/", target{kind: runScript, script: "/a.php", info: "/"}},
		{root, "/UP.PHP/x", target{kind: runScript, script: "/UP.PHP", info: "/x"}},
		{root, "/sub/x.php", target{kind: runScript, script: "/sub/x.php"}},
		{root, "/sub/", target{kind: runScript, script: "/sub/index.php"}},
		{root, "/sub", target{kind: addSlash}},
		{root, "/", target{kind: runScript, script: "/index.php"}},
		{root, "/style.css", target{kind: serveFile}},
		{root, "/img/evil.jpg", target{kind: serveFile}},
		// Never evil.jpg: no .php file on the way, so the front controller.
		{root, "/img/evil.jpg/x.php", target{kind: runScript, script: "/index.php"}},
		{root, "/img/evil.jpg/index.php", target{kind: runScript, script: "/index.php"}},
		// A directory named like a script is not one; the file inside is.
		{root, "/dir.php/inner.php/i", target{kind: runScript, script: "/dir.php/inner.php", info: "/i"}},
		{root, "/.hidden/s.php", target{kind: serveFile}}, // the file server hides it: 404
		{root, "/missing.php", target{kind: runScript, script: "/index.php"}},
		{root, "/noindex/", target{kind: runScript, script: "/index.php"}},
		{bare, "/only.php", target{kind: runScript, script: "/only.php"}},
		{bare, "/missing.php", target{kind: notFound}},
		{bare, "/", target{kind: serveFile}},
		{root, "/alias.php", target{kind: runScript, script: "/alias.php"}},
		// Out of the root: never run; the front controller answers.
		{root, "/escape.php", target{kind: runScript, script: "/index.php"}},
		{root, "/outdir/secret.php", target{kind: runScript, script: "/index.php"}},
	} {
		if got := resolve(roots[tc.root], tc.path, "index.php"); got != tc.want {
			t.Errorf("resolve(%q) = %+v, want %+v", tc.path, got, tc.want)
		}
	}
}
