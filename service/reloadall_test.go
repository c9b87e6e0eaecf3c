package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoAppsConf serves two WSGI applications, each kept by a reload that
// leaves the file as it is; access names the access log.
const twoAppsConf = `
[server]
listen = ["127.0.0.1:0"]
reload_grace = "20s"

[log]
access = "{{access}}"

[[site]]

  [[site.route]]
  path = "/a/"
  wsgi = { app = "codeapp", chdir = "a", python = "{{python}}", workers = 1 }

  [[site.route]]
  path = "/b/"
  wsgi = { app = "codeapp", chdir = "b", python = "{{python}}", workers = 1 }
`

// TestReloadChangesAllOrNone: a reload that fails anywhere (the second
// application's new code does not import; the new access log cannot be
// opened) leaves every application on the code it served, the first
// included, though its new code imported, and stops the workers started
// for it; a reload that succeeds moves both.
func TestReloadChangesAllOrNone(t *testing.T) {
	conf := func(access string) string { return strings.ReplaceAll(twoAppsConf, "{{access}}", access) }
	var a, b string
	f := load(t, conf("off"), func(dir string) {
		a, b = filepath.Join(dir, "a"), filepath.Join(dir, "b")
		for _, d := range []string{a, b} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			writeCode(t, d, "one")
		}
	})
	codes := func() (string, string) {
		ca, _ := answer(t, f.base+"/a/")
		cb, _ := answer(t, f.base+"/b/")
		return ca, cb
	}
	if ca, cb := codes(); ca != "one" || cb != "one" {
		t.Fatalf("before: %s, %s", ca, cb)
	}
	broken := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "codeapp.py"), []byte("raise RuntimeError('broken')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name         string
		setup        func()
		access       string
		wantErr      string
		wantA, wantB string
	}{
		{"the second application's code does not import", func() { writeCode(t, a, "two"); broken(b) }, "off", "broken", "one", "one"},
		// A directory: its parent exists, so only opening it fails,
		// after both applications' new code has started.
		{"the access log cannot be opened", func() { writeCode(t, a, "two"); writeCode(t, b, "two") },
			a, "directory", "one", "one"},
		{"everything starts", func() { writeCode(t, a, "three"); writeCode(t, b, "three") }, "off", "", "three", "three"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			f.write(t, conf(tc.access))
			err := f.svc.Reload()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Reload: %v; want an error naming %q", err, tc.wantErr)
			}
			// A worker of the old code may answer once more while it
			// leaves; the code in force is what a few answers agree on.
			var ca, cb string
			for range 3 {
				ca, cb = codes()
			}
			if ca != tc.wantA || cb != tc.wantB {
				t.Fatalf("after the reload /a/ runs code %q and /b/ %q; want %q and %q", ca, cb, tc.wantA, tc.wantB)
			}
			// The set of workers that was not swapped in, or the one that
			// was swapped out, is gone.
			waitWorkers(t, 2)
		})
	}
}
