//go:build linux

package main

import (
	"bytes"
	"github.com/brick-server/brick/internal/testutil"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/sys/unix"
)

// python is Debian's interpreter, which has Flask.
const python = "/usr/bin/python3"

func needFlask(t *testing.T) {
	t.Helper()
	testutil.NeedPython(t, "flask")
}

// versionApp is a WSGI application answering "$VERSION $pid". It imports
// in milliseconds, so reloads and upgrades are quick.
const versionApp = `import os

def application(environ, start_response):
    body = ("%s %d" % (os.environ.get("VERSION", "?"), os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

// runProc is a `brick run` whose stderr is a file: the process an upgrade
// starts inherits it and keeps writing there after the first one exits
// (with a pipe, Wait would wait for that process too).
type runProc struct {
	cmd     *exec.Cmd
	dir     string
	logPath string
	done    chan struct{}
	addr    string // the first listener
	admin   string // the admin listener, when configured
}

// log returns what brick logged so far.
func (p *runProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// waitLog waits until the log matches re n times, and returns the last
// match's submatches.
func (p *runProc) waitLog(t *testing.T, re *regexp.Regexp, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if ms := re.FindAllStringSubmatch(p.log(), -1); len(ms) >= n {
			return ms[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the log does not match %v %d times:\n%s", within, re, n, p.log())
		}
		select {
		case <-p.done:
			if ms := re.FindAllStringSubmatch(p.log(), -1); len(ms) < n {
				t.Fatalf("brick exited (%v) and its log does not match %v %d times:\n%s", p.cmd.ProcessState, re, n, p.log())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var (
	servingRE = regexp.MustCompile(`msg="brick is serving" addr=(\S+)`)
	adminRE   = regexp.MustCompile(`msg="admin listener: /metrics and /healthz" addr=(\S+)`)
	workerRE  = regexp.MustCompile(`msg="wsgi worker ready" app=\S+ pid=(\d+)`)
)

// writeConf writes brick.toml, and versionapp.py beside it, into dir.
// "{{python}}" stands for the interpreter, "{{apps}}" for the WSGI
// gateway's test applications.
func writeConf(t *testing.T, dir, conf string) string {
	t.Helper()
	apps, err := filepath.Abs(wsgiApps)
	if err != nil {
		t.Fatal(err)
	}
	conf = strings.NewReplacer("{{python}}", python, "{{apps}}", apps).Replace(conf)
	file := filepath.Join(dir, "brick.toml")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "versionapp.py"), []byte(versionApp), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// startRun runs `bin run -config brick.toml` in dir and waits until it
// serves. extra prepares the command (environment, descriptors).
func startRun(t *testing.T, bin, dir string, extra func(*exec.Cmd)) *runProc {
	t.Helper()
	p := &runProc{dir: dir, logPath: filepath.Join(dir, "brick.log"), done: make(chan struct{})}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, "run", "-config", "brick.toml")
	p.cmd.Dir = dir
	p.cmd.Stderr = logf
	if extra != nil {
		extra(p.cmd)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("brick's log:\n%s", p.log())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for p.addr == "" {
		select {
		case <-p.done:
			t.Fatalf("brick exited before serving (%v):\n%s", p.cmd.ProcessState, p.log())
		case <-time.After(20 * time.Millisecond):
		}
		if m := servingRE.FindStringSubmatch(p.log()); m != nil {
			p.addr = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("brick did not serve within 30 s:\n%s", p.log())
		}
	}
	if m := adminRE.FindStringSubmatch(p.log()); m != nil {
		p.admin = m[1]
	}
	return p
}

// stop sends SIGTERM and waits for the exit; it returns the exit code.
func (p *runProc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("brick did not exit within 30 s of SIGTERM:\n%s", p.log())
	}
	return p.cmd.ProcessState.ExitCode()
}

// httpGet is a GET with headers; it returns the status and body.
func httpGet(c *http.Client, url string, header ...string) (int, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestValidate runs `brick validate`: every problem with file:line:col
// on stderr and exit status 1, or "ok" and 0.
func TestValidate(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "www"), 0o755)
	files := map[string]string{
		"good.toml": `
[server]
listen = ["127.0.0.1:8080"]

[[site]]
  [[site.route]]
  path = "/static/"
  static = { root = "www" }

  [[site.route]]
  path = "/"
  respond = { body = "hi" }
`,
		"bad.toml": `
[server]
listen = ["127.0.0.1:8080"]
backlog = -1

[[site]]
  [[site.route]]
  path = "/"
  redirect = { to = "nowhere", status = 200 }

  [[site.route]]
  path = "/static/"
  static = { root = "www" }
`,
		"paths.toml": `
[server]
listen = ["127.0.0.1:8080"]

[[site]]
  [[site.route]]
  path = "/static/"
  static = { root = "missing" }

  [[site.route]]
  path = "/"
  wsgi = { app = "app", chdir = "nodir", python = "/nonexistent/python3" }

[[site]]
hosts = ["cgi.example"]
  [[site.route]]
  path = "/cgi-bin/"
  cgi = { root = "nocgi" }
`,
		"syntax.toml": "[server]\nlisten = [\"127.0.0.1:8080\"\n",
	}
	for name, conf := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(conf), 0o644)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{"good", []string{"-config", "good.toml"}, 0, "good.toml: ok\n", nil},
		{"every problem with its place", []string{"-config", "bad.toml"}, 1, "", []string{
			"bad.toml:4:1: backlog must be between 1 and 2147483647, not -1",
			`bad.toml:9:16: redirect to "nowhere" must be an absolute path`,
			"bad.toml:9:32: redirect status 200 is not one of 301, 302, 303, 307, 308",
			`bad.toml:11:3: route "/static/" is never reached`,
		}},
		{"paths on the machine", []string{"-config", "paths.toml"}, 1, "", []string{
			"paths.toml:8:14: static root missing does not exist",
			"paths.toml:12:25: wsgi chdir nodir does not exist",
			"paths.toml:12:42: wsgi python: stat /nonexistent/python3: no such file or directory",
			"paths.toml:18:11: cgi root nocgi does not exist",
		}},
		{"syntax", []string{"-config", "syntax.toml"}, 1, "", []string{"syntax.toml:2:"}},
		{"missing file", []string{"-config", "nope.toml"}, 1, "", []string{"nope.toml"}},
		{"unknown flag", []string{"-nope"}, 2, "", []string{"flag provided but not defined"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary(t), append([]string{"validate"}, tc.args...)...)
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.wantCode, stderr.String())
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.wantStdout)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if tc.wantCode == 1 {
				// Each line is one problem, placed as file:line:col.
				for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
					if !regexp.MustCompile(`^\S+\.toml(:\d+:\d+)?: `).MatchString(line) && !strings.HasPrefix(line, "open ") {
						t.Errorf("stderr line %q is not file:line:col: message", line)
					}
				}
			}
		})
	}
}

// combinedRE is GoAccess's COMBINED log format as a regexp (the
// accesslog package's tests explain it).
var combinedRE = regexp.MustCompile(`^(\S+) \S+ (\S+) \[(\d{2}/[A-Z][a-z]{2}/\d{4}):(\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$`)

// runConf is a Flask application, a quick WSGI application telling its
// version, a fixed response, an access log file and an admin listener.
const runConf = `
[server]
listen = ["127.0.0.1:0"]
admin = "127.0.0.2:0"
shutdown_timeout = "20s"

[log]
access = "access.log"
format = "combined"

[[site]]

  [[site.route]]
  path = "/app/"
  wsgi = { app = "flaskapp:app", chdir = "{{apps}}", python = "{{python}}", workers = 2 }

  [[site.route]]
  path = "/version/"
  wsgi = { app = "versionapp", chdir = ".", python = "{{python}}", workers = 1, env = { VERSION = "{{version}}" } }

  [[site.route]]
  path = "/v"
  respond = { body = "{{version}}" }
`

func runConfVersion(v string) string { return strings.ReplaceAll(runConf, "{{version}}", v) }

// TestRun runs `brick run -config` end to end: routes, the access log in
// the Combined format, /metrics and /healthz on the admin listener,
// SIGUSR1 after a rename, SIGHUP under load, and SIGTERM, which leaves no
// worker behind.
func TestRun(t *testing.T) {
	needFlask(t)
	dir := t.TempDir()
	writeConf(t, dir, runConfVersion("v1"))
	p := startRun(t, binary(t), dir, nil)
	base := "http://" + p.addr
	if p.admin == "" {
		t.Fatalf("no admin listener in the log:\n%s", p.log())
	}

	// Routes; the counts are checked against /metrics below.
	c := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	if status, body, err := httpGet(c, base+"/app/hello?x=1", "User-Agent", "brick-test/1.0", "Referer", "http://ref.example/"); err != nil || status != 200 || body != "Hello, World!" {
		t.Fatalf("GET /app/hello = %d %q, %v", status, body, err)
	}
	for range 2 {
		if status, _, err := httpGet(c, base+"/app/nope"); err != nil || status != 404 {
			t.Fatalf("GET /app/nope = %d, %v", status, err)
		}
	}
	if status, body, err := httpGet(c, base+"/v"); err != nil || status != 200 || body != "v1" {
		t.Fatalf("GET /v = %d %q, %v", status, body, err)
	}

	t.Run("access log", func(t *testing.T) {
		line := waitFileLine(t, filepath.Join(dir, "access.log"), `"GET /app/hello?x=1 HTTP/1.1"`)
		m := combinedRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not the Combined format: %q", line)
		}
		ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[3]+":"+m[4]+" "+m[5])
		if err != nil {
			t.Fatalf("time in %q: %v", line, err)
		}
		fields := []struct{ name, got, want string }{
			{"remote address", m[1], "127.0.0.1"},
			{"user", m[2], "-"},
			{"request line", m[6], "GET /app/hello?x=1 HTTP/1.1"},
			{"status", m[7], "200"},
			{"bytes", m[8], "13"},
			{"referer", m[9], "http://ref.example/"},
			{"user agent", m[10], "brick-test/1.0"},
		}
		for _, f := range fields {
			if f.got != f.want {
				t.Errorf("%s %q, want %q in %q", f.name, f.got, f.want, line)
			}
		}
		if d := ts.Sub(start.Truncate(time.Second)); d < 0 || d > time.Minute {
			t.Errorf("time %v is not the request's (%v)", ts, start)
		}
	})

	t.Run("admin", func(t *testing.T) {
		status, body, err := httpGet(c, "http://"+p.admin+"/healthz")
		if err != nil || status != 200 || body != "ok\n" {
			t.Errorf("GET /healthz = %d %q, %v", status, body, err)
		}
		// The main listener does not serve the admin endpoints.
		if status, _, _ := httpGet(c, base+"/metrics"); status != 404 {
			t.Errorf("GET /metrics on the main listener = %d, want 404", status)
		}
		fams := scrape(t, "http://"+p.admin+"/metrics")
		for _, tc := range []struct {
			labels map[string]string
			want   float64
		}{
			{map[string]string{"site": "default", "route": "/app/", "code_class": "2xx"}, 1},
			{map[string]string{"site": "default", "route": "/app/", "code_class": "4xx"}, 2},
			{map[string]string{"site": "default", "route": "/v", "code_class": "2xx"}, 1},
		} {
			if got, ok := metricValue(fams, "brick_http_requests_total", tc.labels); !ok || got != tc.want {
				t.Errorf("brick_http_requests_total%v = %v (found %v), want %v", tc.labels, got, ok, tc.want)
			}
		}
		// The pool serves once its first worker is ready; the second may
		// still be importing Flask: wait for it.
		for deadline := time.Now().Add(30 * time.Second); ; {
			busy, _ := metricValue(fams, "brick_python_workers", map[string]string{"gateway": "wsgi", "app": "flaskapp:app", "state": "busy"})
			idle, ok := metricValue(fams, "brick_python_workers", map[string]string{"gateway": "wsgi", "app": "flaskapp:app", "state": "idle"})
			if ok && busy+idle == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("brick_python_workers for flaskapp:app: busy %v idle %v (found %v) after 30 s, want 2 in all", busy, idle, ok)
				break
			}
			time.Sleep(50 * time.Millisecond)
			fams = scrape(t, "http://"+p.admin+"/metrics")
		}
		if _, ok := metricValue(fams, "brick_python_workers", map[string]string{"gateway": "wsgi", "app": "versionapp", "state": "idle"}); !ok {
			t.Errorf("no brick_python_workers for versionapp")
		}
	})

	t.Run("SIGUSR1 reopens the access log", func(t *testing.T) {
		waitFileLine(t, filepath.Join(dir, "access.log"), `"GET /v HTTP/1.1"`)
		if err := os.Rename(filepath.Join(dir, "access.log"), filepath.Join(dir, "access.log.1")); err != nil {
			t.Fatal(err)
		}
		p.cmd.Process.Signal(syscall.SIGUSR1)
		p.waitLog(t, regexp.MustCompile(`msg="access log reopened"`), 1, 10*time.Second)
		if status, _, err := httpGet(c, base+"/v?after-rotation"); err != nil || status != 200 {
			t.Fatalf("GET /v = %d, %v", status, err)
		}
		waitFileLine(t, filepath.Join(dir, "access.log"), `"GET /v?after-rotation HTTP/1.1"`)
		old, _ := os.ReadFile(filepath.Join(dir, "access.log.1"))
		if !strings.Contains(string(old), `"GET /app/hello?x=1 HTTP/1.1"`) || strings.Contains(string(old), "after-rotation") {
			t.Errorf("the renamed file holds:\n%s", old)
		}
	})

	t.Run("SIGHUP under load", func(t *testing.T) {
		var reloaded atomic.Bool
		l := testutil.StartLoad(t, 3, 2, []string{base + "/v", base + "/version/"},
			func() any { return reloaded.Load() }, fromV1ToV2("the reload"))
		l.WaitFor(t, 100)
		writeConf(t, dir, runConfVersion("v2"))
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, regexp.MustCompile(`msg="reloaded the configuration"`), 1, 30*time.Second)
		reloaded.Store(true)
		l.WaitFor(t, 100)
		// An invalid file: the error and its line in the log; v2 serves on.
		writeConf(t, dir, strings.Replace(runConfVersion("v3"), `body = "v3"`, `body = "v3", status = 99`, 1))
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, regexp.MustCompile(`msg="reload failed; the running configuration keeps serving" err="\S*brick.toml:23:\d+: respond status 99`), 1, 30*time.Second)
		l.WaitFor(t, 100)
		l.Report(t)
	})

	// SIGTERM: exit 0, and every worker brick started is gone (reaped, not
	// left to init), those of the configuration a reload replaced too.
	var workers []int
	p.waitLog(t, workerRE, 4, 30*time.Second) // flaskapp's two, versionapp's v1 and v2
	for _, m := range workerRE.FindAllStringSubmatch(p.log(), -1) {
		pid, _ := strconv.Atoi(m[1])
		workers = append(workers, pid)
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if !strings.Contains(p.log(), `msg=stopped`) {
		t.Errorf("no \"stopped\" in the log")
	}
	for _, pid := range workers {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("worker %d outlived brick (kill 0: %v)", pid, err)
		}
	}
}

// waitFileLine waits until a line of file contains s, and returns it.
func waitFileLine(t *testing.T, file, s string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, s) {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line of %s contains %q:\n%s", file, s, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape fetches and parses a Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}

// metricValue finds the sample of a counter or gauge with these labels.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.Metric {
		have := map[string]string{}
		for _, lp := range m.Label {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

// upgradeConf is a fixed response and a WSGI application telling which
// version of the file they come from, and an admin listener.
const upgradeConf = `
[server]
listen = ["127.0.0.1:0"]
admin = "127.0.0.2:0"
shutdown_timeout = "20s"

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/v"
  respond = { body = "{{version}}" }

  [[site.route]]
  path = "/"
  wsgi = { app = "versionapp", chdir = ".", python = "{{python}}", workers = 2, env = { VERSION = "{{version}}" } }
`

// deploy puts a new file at path the way deployments do: written beside
// it, then renamed over it, so the running binary keeps its own (now
// nameless) file.
func deploy(t *testing.T, path string, content []byte) {
	t.Helper()
	// No process may be forked while the file is open for writing: the
	// child would hold the descriptor until its exec, and an exec of the
	// binary meanwhile (a parallel test's start, or an upgrade) would fail
	// with ETXTBSY ("text file busy"; seen in CI).
	syscall.ForkLock.RLock()
	err := os.WriteFile(path+".new", content, 0o755)
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeUnderLoad: SIGUSR2 hands the sockets to a new binary while a
// client keeps sending requests on kept-alive and new connections; no
// request fails, the old process exits 0 and the new one serves. Upgrades
// that fail (the binary at the path cannot start; the file does not
// load) leave the old process serving.
func TestUpgradeUnderLoad(t *testing.T) {
	testutil.NeedPython(t)
	// The new process is the old one's child; when the old one exits it
	// is given to the nearest subreaper: this test, which can then wait
	// for it and see its exit status.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	real, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "brick")
	deploy(t, bin, real)
	writeConf(t, dir, strings.ReplaceAll(upgradeConf, "{{version}}", "v1"))
	p := startRun(t, bin, dir, nil)
	base := "http://" + p.addr

	var oldExited atomic.Bool
	l := testutil.StartLoad(t, 4, 2, []string{base + "/v", base + "/wsgi"},
		func() any { return oldExited.Load() }, fromV1ToV2("the old process exited"))
	l.WaitFor(t, 100)

	failedRE := regexp.MustCompile(`msg="upgrade failed; this process keeps serving" err="([^"]*)"`)
	t.Run("the binary at the path cannot start", func(t *testing.T) {
		// Moved away, and something broken in its place: the upgrade runs
		// what is at the path the process was started from, not the old
		// file under its new name.
		if err := os.Rename(bin, bin+".old"); err != nil {
			t.Fatal(err)
		}
		deploy(t, bin, []byte("#!/bin/sh\necho 'broken binary' >&2\nexit 1\n"))
		p.cmd.Process.Signal(syscall.SIGUSR2)
		m := p.waitLog(t, failedRE, 1, 60*time.Second)
		if !strings.Contains(m[1], "exited before serving: exit status 1") || !strings.Contains(p.log(), "broken binary") {
			t.Errorf("upgrade error %q; want the new process to have exited with status 1", m[1])
		}
		l.WaitFor(t, 100)
	})

	t.Run("the file does not load", func(t *testing.T) {
		deploy(t, bin, real)
		writeConf(t, dir, strings.Replace(strings.ReplaceAll(upgradeConf, "{{version}}", "v3"), `body = "v3"`, `body = "v3", status = 99`, 1))
		p.cmd.Process.Signal(syscall.SIGUSR2)
		m := p.waitLog(t, failedRE, 2, 60*time.Second)
		if !strings.Contains(m[1], "exited before serving: exit status 1") || !strings.Contains(p.log(), "respond status 99") {
			t.Errorf("upgrade error %q; want the new process to have exited with status 1 over the file", m[1])
		}
		l.WaitFor(t, 100)
	})

	// A good binary and file: the new process takes over.
	writeConf(t, dir, strings.ReplaceAll(upgradeConf, "{{version}}", "v2"))
	p.cmd.Process.Signal(syscall.SIGUSR2)
	m := p.waitLog(t, regexp.MustCompile(`msg="the new process serves; draining this one" new_pid=(\d+)`), 1, 60*time.Second)
	newPID, _ := strconv.Atoi(m[1])
	var newStatus syscall.WaitStatus
	newDone := make(chan struct{})
	t.Cleanup(func() {
		syscall.Kill(newPID, syscall.SIGKILL)
		select {
		case <-newDone:
		case <-time.After(30 * time.Second):
		}
	})
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the old process did not exit within 30 s of the new one serving")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("the old process exited with %d, want 0", code)
	}
	// It is ours now: reap it when it exits.
	go func() {
		for {
			_, err := syscall.Wait4(newPID, &newStatus, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		close(newDone)
	}()
	oldExited.Store(true)
	l.WaitFor(t, 200)
	l.Report(t)
	if n := strings.Count(p.log(), `msg="using an inherited socket"`); n != 2 {
		t.Errorf("the new process took %d inherited sockets, want 2 (site and admin)", n)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if status, body, err := httpGet(c, "http://"+p.admin+"/healthz"); err != nil || status != 200 || body != "ok\n" {
		t.Errorf("GET /healthz on the inherited admin socket = %d %q, %v", status, body, err)
	}

	syscall.Kill(newPID, syscall.SIGTERM)
	select {
	case <-newDone:
		if ws := newStatus; !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("the new process ended with %v after SIGTERM, want exit status 0", ws)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the new process did not exit within 30 s of SIGTERM")
	}
}

// TestSocketActivation starts brick as systemd does: listening sockets at
// descriptors 3, 4..., LISTEN_FDS and LISTEN_PID (the pid of brick
// itself: the shell sets it, then execs brick). Brick serves on them and
// binds nothing of its own for the addresses they stand for: the
// configured address is the socket's, which brick could not bind again.
func TestSocketActivation(t *testing.T) {
	tests := []struct {
		name    string
		sockets int
		env     []string
		// args runs brick with the first socket's address for ADDR and
		// the file of the test's directory; nil is `brick run`.
		args []string
		// admin is the socket paired with the admin address (the second
		// address of the file), or -1 when brick opens it itself.
		admin int
	}{
		{name: "brick run", sockets: 1, env: []string{"LISTEN_FDS=1"}, admin: -1},
		{name: "systemd's default socket name", sockets: 1, env: []string{"LISTEN_FDS=1", "LISTEN_FDNAMES=brick.socket"}, admin: -1},
		{name: "the admin address too", sockets: 2, env: []string{"LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin"}, admin: 1},
		{name: "more sockets than addresses serve the sites", sockets: 3, env: []string{"LISTEN_FDS=3"}, admin: 1},
		{name: "brick DIR", sockets: 1, env: []string{"LISTEN_FDS=1"}, args: []string{"-addr", "ADDR", "www"}, admin: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "www"), 0o755)
			os.WriteFile(filepath.Join(dir, "www", "index.html"), []byte("activated"), 0o644)
			var lns []net.Listener
			var files []*os.File
			for range tc.sockets {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				f, err := ln.(*net.TCPListener).File()
				if err != nil {
					t.Fatal(err)
				}
				lns, files = append(lns, ln), append(files, f)
			}
			addr := lns[0].Addr().String()
			writeConf(t, dir, `
[server]
listen = ["`+addr+`"]
admin = "127.0.0.2:0"

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/"
  respond = { body = "activated" }
`)
			args := []string{"run", "-config", "brick.toml"}
			if tc.args != nil {
				args = nil
				for _, a := range tc.args {
					args = append(args, strings.ReplaceAll(a, "ADDR", addr))
				}
			}
			p := startRun(t, binary(t), dir, func(cmd *exec.Cmd) {
				cmd.Path = "/bin/sh"
				cmd.Args = append([]string{"sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, binary(t)}, args...)
				cmd.Env = append(os.Environ(), tc.env...)
				cmd.ExtraFiles = files
			})
			// Only brick holds the sockets now.
			for i := range lns {
				lns[i].Close()
				files[i].Close()
			}
			if p.addr != addr {
				t.Errorf("brick serves on %s, want the socket's %s", p.addr, addr)
			}
			addresses := 1
			if tc.args == nil {
				addresses = 2 // listen and admin
			}
			if n, want := strings.Count(p.log(), `msg="using a socket from socket activation"`), min(tc.sockets, addresses); n != want {
				t.Errorf("%d sockets from socket activation in the log, want %d", n, want)
			}
			c := &http.Client{Timeout: 10 * time.Second}
			for i, ln := range lns {
				path, want := "/", "activated"
				if i == tc.admin {
					path, want = "/healthz", "ok\n"
				}
				status, body, err := httpGet(c, "http://"+ln.Addr().String()+path)
				if err != nil || status != 200 || body != want {
					t.Errorf("GET %s on socket %d (%s) = %d %q, %v; want %q", path, i, ln.Addr(), status, body, err, want)
				}
			}
			if tc.args == nil && tc.admin < 0 {
				if status, body, err := httpGet(c, "http://"+p.admin+"/healthz"); err != nil || status != 200 || body != "ok\n" {
					t.Errorf("GET /healthz on the admin listener brick opened = %d %q, %v", status, body, err)
				}
			}
			if code := p.stop(t); code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0", code)
			}
		})
	}
}

// fromV1ToV2 judges answers "VERSION ..." while a server switches from
// configuration v1 to v2: each is a 200 from one of them, and from v2 when
// the load's before() said the switch (event) had happened.
func fromV1ToV2(event string) func(url string, status int, body string, after any) string {
	return func(url string, status int, body string, after any) string {
		version, _, _ := strings.Cut(body, " ")
		switch {
		case status != 200:
			return "status"
		case version != "v1" && version != "v2":
			return "unknown version"
		case after.(bool) && version != "v2":
			return "v1 for a request sent after " + event
		}
		return ""
	}
}
