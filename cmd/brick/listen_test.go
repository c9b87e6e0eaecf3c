package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// slowApp is a WSGI application that takes 5 s to import, as a large
// Django project does.
const slowApp = `import time
time.sleep(5)

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slow"]
`

// TestPortInUse: a port already in use is reported before any
// application imports, in the same plain words in every mode, with what
// to do, and exit status 1.
func TestPortInUse(t *testing.T) {
	python := testutil.NeedPython(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "slowapp.py"), []byte(slowApp), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "brick.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`
[server]
listen = %q
[[site]]
[[site.route]]
path = "/"
wsgi = { app = "slowapp", chdir = %q, python = %q, workers = 1 }
`, addr, dir, python)), 0o644); err != nil {
		t.Fatal(err)
	}
	inUse := func(flag string) string {
		return fmt.Sprintf("brick: cannot listen on %s: address already in use (is another brick running? choose another with %s)\n", addr, flag)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"brick", []string{"-addr", addr}, inUse("-addr")},
		{"brick DIR", []string{dir, "-addr", addr}, inUse("-addr")},
		{"brick wsgi", []string{"wsgi", "slowapp", "--chdir", dir, "--python", python, "--workers", "1", "-addr", addr}, inUse("-addr")},
		{"brick run", []string{"run", "-config", conf}, inUse("-addr")},
		{"brick run, flags over the file", []string{"run", "-config", conf, "-addr", addr}, inUse("-addr")},
		{"the admin listener", []string{"wsgi", "slowapp", "--chdir", dir, "--python", python, "-addr", "127.0.0.1:0", "-admin", addr}, inUse("-admin")},
	}
	binary(t) // built before the clock starts
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			code, stdout, stderr := runBinary(t, dir, tc.args...)
			took := time.Since(began)
			if code != 1 || stderr != tc.want || stdout != "" {
				t.Errorf("brick %q: exit %d, stderr %q, stdout %q; want 1 and %q", tc.args, code, stderr, stdout, tc.want)
			}
			// The application takes 5 s to import: well under that means
			// nothing was imported before the port was tried.
			if took > 2*time.Second {
				t.Errorf("brick %q took %v to report the port in use (the application imports in 5 s)", tc.args, took.Round(time.Millisecond))
			}
		})
	}
}
