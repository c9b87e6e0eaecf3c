package service_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
  path = "/small/"
  max_body = "1K"
  timeout = "300ms"
  cgi = { root = "scripts" }
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
		write("slow.sh", "#!/bin/sh\nexec sleep 30\n")
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

	// The route's max_body bounds a chunked body too (413), and its
	// timeout is the script's (504).
	req, _ := http.NewRequest("POST", f.base+"/small/hi.sh", io.MultiReader(strings.NewReader(strings.Repeat("x", 4096))))
	req.ContentLength = -1 // chunked
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("4 KiB chunked to a 1K route: %d, want 413", resp.StatusCode)
	}
	start := time.Now()
	resp, err = noRedirect.Get(f.base + "/small/slow.sh")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 504 || time.Since(start) > 5*time.Second {
		t.Errorf("a script past the route's 300ms timeout: %d after %v, want 504 at once", resp.StatusCode, time.Since(start))
	}
}
