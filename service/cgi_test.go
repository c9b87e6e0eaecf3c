package service_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
)

// TestCGIRoute: a cgi route of the file runs its scripts under the
// route's path, with the route's headers, and a script's local redirect
// is served by the router, so it reaches another route of the site.
func TestCGIRoute(t *testing.T) {
	testutil.LookPath(t, "sh")
	f := load(t, `[server]
listen = ["127.0.0.1:0"]

[[site]]
  [[site.route]]
  path = "/cgi-bin/"
  headers = { "X-Route" = "cgi" }
  cgi = { root = "scripts", env = { GREETING = "hello" } }
  [[site.route]]
  path = "/"
  respond = { body = "the fallback route" }
`, func(dir string) {
		scripts := filepath.Join(dir, "scripts")
		os.Mkdir(scripts, 0o755)
		write := func(name, body string) {
			if err := os.WriteFile(filepath.Join(scripts, name), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		write("hi.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n%s %s %s' \"$GREETING\" \"$SCRIPT_NAME\" \"$PATH_INFO\"\n")
		write("away.sh", "#!/bin/sh\nprintf 'Location: /elsewhere\\n\\n'\n")
	})
	tests := []struct {
		path, body, route string
	}{
		{"/cgi-bin/hi.sh/x", "hello /cgi-bin/hi.sh /x", "cgi"},
		{"/cgi-bin/away.sh", "the fallback route", "cgi"},
	}
	for _, tc := range tests {
		resp, err := noRedirect.Get(f.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != tc.body || resp.Header.Get("X-Route") != tc.route {
			t.Errorf("GET %s: %d %q X-Route %q, want 200 %q %q", tc.path, resp.StatusCode, b, resp.Header.Get("X-Route"), tc.body, tc.route)
		}
	}
}
