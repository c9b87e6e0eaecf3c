package service_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/brick-server/brick/internal/testutil"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/service"
)

// sitesConf has two sites by Host and a default one, with a route of
// every kind.
const sitesConf = `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]
hosts = ["example.com", "www.example.com"]

  [[site.route]]
  path = "/assets"
  static = { root = "www" }
  headers = { "X-Frame-Options" = "DENY", "X-Content-Type-Options" = "nosniff" }

  [[site.route]]
  path = "/old/"
  redirect = { to = "https://example.com/new/", status = 301, keep_path = true }

  [[site.route]]
  path = "/moved"
  redirect = { to = "/elsewhere" }

  [[site.route]]
  path = "/robots.txt"
  respond = { body = "User-agent: *\nDisallow:\n" }

  [[site.route]]
  path = "/upload"
  respond = { status = 201, body = "stored" }
  max_body = 16

  [[site.route]]
  path = "/app/"
  max_body = "1K"
  headers = { "X-Route" = "flask" }
  wsgi = { app = "flaskapp:app", chdir = "{{apps}}", python = "{{python}}", workers = 1 }

  [[site.route]]
  path = "/"
  respond = { body = "example home" }

[[site]]
hosts = ["api.test", "*.api.test"]

  [[site.route]]
  path = "/"
  respond = { body = '{"site":"api"}', content_type = "application/json" }
  headers = { "X-Site" = "api" }

[[site]]
# No hosts: the default site.

  [[site.route]]
  path = "/"
  respond = { status = 404, body = "no such site" }
`

// TestSites serves a file with several sites and every kind of route over
// real sockets: each route answers, Host picks the site whatever its case,
// port or trailing dot, and unknown hosts get the default site.
func TestSites(t *testing.T) {
	needFlask(t)
	f := load(t, sitesConf, func(dir string) {
		os.MkdirAll(filepath.Join(dir, "www", "css"), 0o755)
		os.WriteFile(filepath.Join(dir, "www", "index.html"), []byte("<h1>assets</h1>"), 0o644)
		os.WriteFile(filepath.Join(dir, "www", "css", "a.css"), []byte("body{}"), 0o644)
	})
	small := strings.Repeat("s", 16)
	big := strings.Repeat("b", 2000)
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return fmt.Sprintf("%d %s", len(s), hex.EncodeToString(h[:]))
	}
	tests := []struct {
		name       string
		host       string
		method     string
		path       string
		body       string
		chunked    bool
		wantStatus int
		wantBody   string // exact; "" with wantStatus 413 or 301 is not checked
		wantHeader map[string]string
	}{
		{name: "static file", host: "example.com", path: "/assets/css/a.css", wantStatus: 200, wantBody: "body{}",
			wantHeader: map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Content-Type": "text/css; charset=utf-8"}},
		{name: "static index", host: "example.com", path: "/assets/", wantStatus: 200, wantBody: "<h1>assets</h1>"},
		{name: "static prefix without slash", host: "example.com", path: "/assets?v=1", wantStatus: 301,
			wantHeader: map[string]string{"Location": "/assets/?v=1"}},
		{name: "static missing file has the route's headers", host: "example.com", path: "/assets/nope.css", wantStatus: 404,
			wantHeader: map[string]string{"X-Frame-Options": "DENY"}},
		{name: "static refuses traversal", host: "example.com", path: "/assets/../brick.toml", wantStatus: 200, wantBody: "example home"},
		{name: "redirect keeps path and query", host: "example.com", path: "/old/a/b%20c?x=1", wantStatus: 301,
			wantHeader: map[string]string{"Location": "https://example.com/new/a/b%20c?x=1"}},
		{name: "redirect of the prefix itself", host: "example.com", path: "/old/", wantStatus: 301,
			wantHeader: map[string]string{"Location": "https://example.com/new/"}},
		{name: "redirect default status", host: "example.com", path: "/moved/x", wantStatus: 302,
			wantHeader: map[string]string{"Location": "/elsewhere"}},
		{name: "respond", host: "example.com", path: "/robots.txt", wantStatus: 200, wantBody: "User-agent: *\nDisallow:\n",
			wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{name: "body at max_body", host: "example.com", method: "POST", path: "/upload", body: small, wantStatus: 201, wantBody: "stored"},
		{name: "body past max_body", host: "example.com", method: "POST", path: "/upload", body: small + "!", wantStatus: 413},
		{name: "wsgi", host: "example.com", path: "/app/hello", wantStatus: 200, wantBody: "Hello, World!",
			wantHeader: map[string]string{"X-Route": "flask", "Content-Type": "text/plain; charset=utf-8"}},
		{name: "wsgi 404 has the route's headers", host: "example.com", path: "/app/nope", wantStatus: 404,
			wantHeader: map[string]string{"X-Route": "flask"}},
		{name: "wsgi body under max_body", host: "example.com", method: "POST", path: "/app/echo", body: "hello", wantStatus: 200, wantBody: sum("hello")},
		{name: "wsgi chunked body under max_body", host: "example.com", method: "POST", path: "/app/echo", body: "hello", chunked: true, wantStatus: 200, wantBody: sum("hello")},
		{name: "wsgi body past max_body", host: "example.com", method: "POST", path: "/app/echo", body: big, wantStatus: 413},
		{name: "wsgi chunked body past max_body", host: "example.com", method: "POST", path: "/app/echo", body: big, chunked: true, wantStatus: 413},
		{name: "last route", host: "example.com", path: "/anything", wantStatus: 200, wantBody: "example home"},
		{name: "prefix is segment-wise", host: "example.com", path: "/assetsx", wantStatus: 200, wantBody: "example home"},
		{name: "second host of a site", host: "www.example.com", path: "/", wantStatus: 200, wantBody: "example home"},
		{name: "host in upper case", host: "EXAMPLE.COM", path: "/", wantStatus: 200, wantBody: "example home"},
		{name: "host with port", host: "example.com:8080", path: "/", wantStatus: 200, wantBody: "example home"},
		{name: "host with trailing dot", host: "example.com.", path: "/", wantStatus: 200, wantBody: "example home"},
		{name: "host with all three", host: "WWW.Example.Com.:443", path: "/robots.txt", wantStatus: 200, wantBody: "User-agent: *\nDisallow:\n"},
		{name: "other site", host: "api.test", path: "/robots.txt", wantStatus: 200, wantBody: `{"site":"api"}`,
			wantHeader: map[string]string{"X-Site": "api", "Content-Type": "application/json"}},
		{name: "wildcard host", host: "v2.API.test", path: "/", wantStatus: 200, wantBody: `{"site":"api"}`},
		{name: "wildcard is not the bare name's parent", host: "xapi.test", path: "/", wantStatus: 404, wantBody: "no such site"},
		{name: "unknown host", host: "other.test", path: "/", wantStatus: 404, wantBody: "no such site"},
		{name: "an IP address", host: "127.0.0.1", path: "/app/hello", wantStatus: 404, wantBody: "no such site"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(method, f.base+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			if tc.chunked {
				req.TransferEncoding = []string{"chunked"}
				req.ContentLength = -1
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("%s %s (Host %s) = %d %q, want %d", method, tc.path, tc.host, resp.StatusCode, b, tc.wantStatus)
			}
			if tc.wantBody != "" && string(b) != tc.wantBody {
				t.Errorf("%s %s (Host %s): body %q, want %q", method, tc.path, tc.host, b, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s %s (Host %s): %s %q, want %q", method, tc.path, tc.host, k, got, v)
				}
			}
		})
	}

	// The WSGI route is mounted at its path: SCRIPT_NAME is the prefix.
	req, _ := http.NewRequest("GET", f.base+"/app/env", nil)
	req.Host = "example.com"
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]string
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || env["SCRIPT_NAME"] != "/app" || env["PATH_INFO"] != "/env" || env["HTTP_HOST"] != "example.com" {
		t.Errorf("environ: SCRIPT_NAME %q PATH_INFO %q HTTP_HOST %q (%v); want /app, /env, example.com", env["SCRIPT_NAME"], env["PATH_INFO"], env["HTTP_HOST"], err)
	}
}

// reloadConf is a fixed response and a WSGI application, both telling
// which version of the file they come from.
const reloadConf = `
[server]
listen = ["127.0.0.1:0"]
reload_grace = "20s"

[log]
access = "access.log"

[[site]]

  [[site.route]]
  path = "/v"
  respond = { body = "{{version}}" }

  [[site.route]]
  path = "/"
  wsgi = { app = "versionapp", chdir = ".", python = "{{python}}", workers = 2, env = { VERSION = "{{version}}" } }
`

func versionConf(v string) string { return strings.ReplaceAll(reloadConf, "{{version}}", v) }

func writeVersionApp(dir string) {
	os.WriteFile(filepath.Join(dir, "versionapp.py"), []byte(versionApp), 0o644)
}

// TestReloadUnderLoad changes the file (a fixed response and a WSGI
// application's environment) and reloads while a client keeps sending
// requests on kept-alive and new connections: no request fails, every
// request sent after Reload returned sees the new version, and the old
// workers are stopped. An invalid file is refused with its line and
// changes nothing.
func TestReloadUnderLoad(t *testing.T) {
	f := load(t, versionConf("v1"), writeVersionApp)
	var reloaded atomic.Bool // Reload to v2 returned
	var mu sync.Mutex
	pids := map[string]map[string]bool{} // version → worker pids seen
	l := testutil.StartLoad(t, 3, 2, []string{f.base + "/v", f.base + "/wsgi"},
		func() any { return reloaded.Load() },
		func(url string, status int, body string, after any) string {
			if status != 200 {
				return "status"
			}
			version, pid, _ := strings.Cut(body, " ")
			if version != "v1" && version != "v2" {
				return "unknown version"
			}
			if pid != "" {
				mu.Lock()
				if pids[version] == nil {
					pids[version] = map[string]bool{}
				}
				pids[version][pid] = true
				mu.Unlock()
			}
			if after.(bool) && version != "v2" {
				return "the old version, sent after Reload returned"
			}
			return ""
		})
	l.WaitFor(t, 100)

	f.write(t, versionConf("v2"))
	t0 := time.Now()
	if err := f.svc.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	reloaded.Store(true)
	t.Logf("Reload took %v", time.Since(t0))
	l.WaitFor(t, 100)

	// An invalid file: Reload says where, and v2 keeps serving.
	f.write(t, strings.Replace(versionConf("v3"), `body = "v3"`, `body = "v3", status = 99`, 1))
	err := f.svc.Reload()
	if err == nil || !strings.Contains(err.Error(), f.file+":13:") || !strings.Contains(err.Error(), "status 99") {
		t.Errorf("Reload of an invalid file: %v; want an error at %s:13", err, f.file)
	}
	// A file that parses but whose application does not import.
	f.write(t, strings.Replace(versionConf("v3"), `app = "versionapp"`, `app = "nosuchmodule"`, 1))
	if err := f.svc.Reload(); err == nil {
		t.Errorf("Reload of an application that does not import: no error")
	}
	l.WaitFor(t, 100)
	l.Report(t)

	mu.Lock()
	defer mu.Unlock()
	if len(pids["v1"]) == 0 || len(pids["v2"]) == 0 {
		t.Fatalf("workers seen: %v; want some of v1 and of v2", pids)
	}
	// The old workers are stopped once their requests are done.
	deadline := time.Now().Add(20 * time.Second)
	for pid := range pids["v1"] {
		n, _ := strconv.Atoi(pid)
		for syscall.Kill(n, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("v1 worker %d still runs after the reload", n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// staticConf serves the directory root under /files/.
func staticConf(root string) string {
	return `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/files/"
  static = { root = "` + root + `" }
`
}

// TestReloadBetweenTakingAndCounting: a request that took the current
// configuration just before a reload replaced it, and was not counted in
// it yet, must not be served by the old configuration after that was
// closed (nothing was counted in it, so it closes at once).
func TestReloadBetweenTakingAndCounting(t *testing.T) {
	var armed atomic.Bool
	took, release := make(chan struct{}), make(chan struct{})
	service.SetServeHook(func() {
		if armed.CompareAndSwap(true, false) {
			close(took)
			<-release
		}
	})
	t.Cleanup(func() { service.SetServeHook(nil) })
	f := load(t, staticConf("one"), func(dir string) {
		for _, name := range []string{"one", "two"} {
			os.Mkdir(filepath.Join(dir, name), 0o755)
			os.WriteFile(filepath.Join(dir, name, "a.txt"), []byte(name), 0o644)
		}
	})
	armed.Store(true)
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(f.base + "/files/a.txt")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), err}
	}()
	<-took
	f.write(t, staticConf("two"))
	if err := f.svc.Reload(); err != nil {
		t.Fatal(err)
	}
	// Let the old configuration's drain run: it has nothing to wait for.
	time.Sleep(200 * time.Millisecond)
	close(release)
	res := <-done
	if res.err != nil || res.status != 200 || (res.body != "one" && res.body != "two") {
		t.Fatalf("GET /files/a.txt across the reload = %d %q, %v; want 200 from either configuration", res.status, res.body, res.err)
	}
}

// accessConf logs to the file named.
func accessConf(file string) string {
	return `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "` + file + `"
format = "combined"

[[site]]

  [[site.route]]
  path = "/"
  respond = { body = "ok" }
`
}

// TestAccessLogReopenAndReload: ReopenLogs (SIGUSR1) sends new lines to a
// new file after the old one was renamed; a reload that names another
// file switches to it, also while ReopenLogs runs (logrotate's SIGUSR1
// and a SIGHUP at the same time).
func TestAccessLogReopenAndReload(t *testing.T) {
	f := load(t, accessConf("access.log"), nil)
	get := func(path string) {
		t.Helper()
		resp, err := http.Get(f.base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// waitLine waits until the file holds a line for path (the log is
	// written out at least once a second).
	waitLine := func(file, path string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, _ := os.ReadFile(filepath.Join(f.dir, file))
			if strings.Contains(string(b), `"GET `+path+` HTTP/1.1"`) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has no line for %s:\n%s", file, path, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	get("/before-rotation")
	waitLine("access.log", "/before-rotation")
	if err := os.Rename(filepath.Join(f.dir, "access.log"), filepath.Join(f.dir, "access.log.1")); err != nil {
		t.Fatal(err)
	}
	get("/during-rotation") // still goes to the renamed file
	f.svc.ReopenLogs()
	get("/after-rotation")
	waitLine("access.log", "/after-rotation")
	waitLine("access.log.1", "/during-rotation")
	if b, _ := os.ReadFile(filepath.Join(f.dir, "access.log.1")); strings.Contains(string(b), "/after-rotation") {
		t.Errorf("a line after ReopenLogs went to the renamed file:\n%s", b)
	}

	// Reloads switching files while ReopenLogs runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				f.svc.ReopenLogs()
			}
		}
	}()
	for i := range 20 {
		f.write(t, accessConf(fmt.Sprintf("access-%d.log", i%2)))
		if err := f.svc.Reload(); err != nil {
			t.Fatal(err)
		}
		get(fmt.Sprintf("/reload-%d", i))
	}
	close(stop)
	wg.Wait()
	waitLine("access-1.log", "/reload-19")
	if b, _ := os.ReadFile(filepath.Join(f.dir, "access.log")); strings.Contains(string(b), "/reload-") {
		t.Errorf("lines after the reloads went to the first file:\n%s", b)
	}
}

// TestLoadErrors: a file that cannot serve is an error naming the file and
// line, never a panic; Validate finds the same problems without starting
// anything, so an application that does not import passes it.
func TestLoadErrors(t *testing.T) {
	route := func(action string) string {
		return "[server]\nlisten = [\"127.0.0.1:0\"]\n\n[[site]]\n\n  [[site.route]]\n  path = \"/\"\n  " + action + "\n"
	}
	tests := []struct {
		name         string
		conf         string
		want         []string // in Load's error
		validateToo  bool     // Validate finds it as well
		validateWant string
	}{
		{"syntax", "[server]\nlisten = [\"127.0.0.1:0\"\n", []string{"brick.toml:2:"}, true, "brick.toml:2:"},
		{"a value", route(`respond = { status = 700 }`), []string{"brick.toml:8:", "respond status 700"}, true, "brick.toml:8:"},
		{"static root missing", route(`static = { root = "nope" }`), []string{"brick.toml:8:14:", "static root", "does not exist"}, true, "does not exist"},
		{"handler not registered", route(`handler = "api"`), []string{"brick.toml:8:", `no Go handler is registered as "api"`}, true, `"api"`},
		{"wsgi app does not import", route(`wsgi = { app = "nosuchmodule", chdir = ".", python = "{{python}}", workers = 1 }`),
			[]string{`brick.toml:6: route "/"`, "No module named 'nosuchmodule'"}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "brick.toml")
			os.WriteFile(file, []byte(strings.ReplaceAll(tc.conf, "{{python}}", python)), 0o644)
			svc, err := service.Load(file, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil {
				svc.Close()
				t.Fatal("Load: no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load: %v\nwant it to contain %q", err, w)
				}
			}
			verr := service.Validate(file, nil)
			switch {
			case tc.validateToo && (verr == nil || !strings.Contains(verr.Error(), tc.validateWant)):
				t.Errorf("Validate: %v; want an error containing %q", verr, tc.validateWant)
			case !tc.validateToo && verr != nil:
				t.Errorf("Validate: %v; want nil (it starts nothing)", verr)
			}
		})
	}
}
