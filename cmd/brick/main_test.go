package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// brickBin is the real binary, built once for all tests.
var (
	buildOnce sync.Once
	brickBin  string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "brick-bin")
		if err != nil {
			buildErr = err
			return
		}
		brickBin = filepath.Join(dir, "brick")
		out, err := exec.Command("go", "build", "-o", brickBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return brickBin
}

// proc is a running brick process and what it prints.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	stderr bytes.Buffer
	stdout bytes.Buffer
	done   chan struct{}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// standardOutput is what brick printed on its standard output so far.
func (p *proc) standardOutput() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// stdoutWriter collects a process's standard output under p.mu.
type stdoutWriter struct{ p *proc }

func (w stdoutWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stdout.Write(b)
}

// waitOutput waits until what get returns contains every one of want.
func waitOutput(t *testing.T, what string, get func() string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, missing := get(), ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q:\n%s", what, missing, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var addrRE = regexp.MustCompile(`addr=(\S+)`)

// start runs brick with args and waits for its "serving" log line.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startCmd(t, exec.Command(binary(t), args...))
}

// startCmd is start with the command given: brick behind a wrapper that
// execs it.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, done: make(chan struct{})}
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	p.cmd.Stdout = stdoutWriter{p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := addrRE.FindStringSubmatch(line); m != nil && strings.Contains(line, "serving") {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		p.cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.addr = <-ready:
	case <-p.done:
		t.Fatalf("brick exited before serving:\n%s", p.output())
	case <-time.After(10 * time.Second):
		t.Fatalf("brick did not start:\n%s", p.output())
	}
	return p
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestDefaultSite(t *testing.T) {
	p := start(t, "-addr", "127.0.0.1:0")
	tests := []struct {
		path, wantBody, wantType string
		wantStatus               int
	}{
		{"/hello", "Hello, World!", "text/plain; charset=utf-8", 200},
		{"/", "Brick is running", "text/html; charset=utf-8", 200},
		{"/missing", "Not Found", "text/plain; charset=utf-8", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, body, h := get(t, "http://"+p.addr+tc.path)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantBody) || h.Get("Content-Type") != tc.wantType {
				t.Errorf("GET %s = %d %q (%s), want %d containing %q (%s)", tc.path, status, body, h.Get("Content-Type"), tc.wantStatus, tc.wantBody, tc.wantType)
			}
		})
	}
	resp, err := http.Post("http://"+p.addr+"/hello", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /hello = %d Allow %q, want 405 with Allow: GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestTelnetSession is the article's "be the client yourself": two requests
// typed on one connection, each answered, the connection kept open.
func TestTelnetSession(t *testing.T) {
	p := start(t, "-addr", "127.0.0.1:0")
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	for i := range 2 {
		for _, line := range []string{"GET /hello HTTP/1.1", "Host: x", ""} {
			fmt.Fprintf(c, "%s\r\n", line)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "Hello, World!" || resp.Close {
			t.Fatalf("request %d: %d %q close=%v", i, resp.StatusCode, b, resp.Close)
		}
	}
}

func TestVerbosePrintsExchanges(t *testing.T) {
	p := start(t, "-v", "-addr", "127.0.0.1:0")
	get(t, "http://"+p.addr+"/hello")
	want := []string{"< GET /hello HTTP/1.1", "< Host: " + p.addr, "> HTTP/1.1 200 OK", "> Content-Length: 13", "> Hello, World!"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := p.output()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("-v output lacks %q:\n%s", missing, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestQuickModesThroughService: the quick modes run through the same
// service as brick run, so the admin listener (/metrics, /healthz) and the
// access log exist in every mode, and the metrics count the requests.
func TestQuickModesThroughService(t *testing.T) {
	dir := t.TempDir()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "upstream "+r.URL.Path)
	}))
	defer upstream.Close()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("file a"), 0o644)
	tests := []struct {
		name string
		args []string
		path string // what to GET
		body string
	}{
		{"brick DIR", []string{dir, "-admin", "127.0.0.1:0", "-access-log", "stdout"}, "/a.txt", "file a"},
		{"brick", []string{"-admin", "127.0.0.1:0", "-access-log", "stdout", "-access-log-format", "json"}, "/hello", "Hello, World!"},
		{"brick proxy", []string{"proxy", "-admin", "127.0.0.1:0", "-access-log", "stdout", strings.TrimPrefix(upstream.URL, "http://")}, "/up", "upstream /up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0"}, tc.args...)
			if tc.args[0] == "proxy" {
				// The command comes first.
				args = append([]string{"proxy", "-addr", "127.0.0.1:0"}, tc.args[1:]...)
			}
			p := start(t, args...)
			m := adminRE.FindStringSubmatch(p.output())
			if m == nil {
				t.Fatalf("no admin listener in the log:\n%s", p.output())
			}
			admin := "http://" + m[1]
			if status, body, _ := get(t, "http://"+p.addr+tc.path); status != 200 || body != tc.body {
				t.Fatalf("GET %s = %d %q", tc.path, status, body)
			}
			waitOutput(t, "the access log on stdout", p.standardOutput, tc.path, "200")
			if status, _, _ := get(t, admin+"/healthz"); status != 200 {
				t.Errorf("GET /healthz = %d", status)
			}
			status, body, _ := get(t, admin+"/metrics")
			if status != 200 || !regexp.MustCompile(`(?m)^brick_http_requests_total\{[^}]*\} 1$`).MatchString(body) {
				t.Errorf("GET /metrics = %d, without the request counted:\n%s", status, body)
			}
			if strings.Contains(p.output(), tc.path+" HTTP/1.1") {
				t.Errorf("the access log went to stderr too:\n%s", p.output())
			}
		})
	}
}

// TestRunVerbose: brick run takes the server flags too, -v among them,
// over the file's settings.
func TestRunVerbose(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "brick.toml")
	os.WriteFile(conf, []byte(`
[server]
listen = "127.0.0.1:0"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
respond = { body = "from the file" }
`), 0o644)
	p := start(t, "run", "-config", conf, "-v")
	if status, body, _ := get(t, "http://"+p.addr+"/x"); status != 200 || body != "from the file" {
		t.Fatalf("GET /x = %d %q", status, body)
	}
	waitOutput(t, "-v output", p.output, "< GET /x HTTP/1.1", "> HTTP/1.1 200 OK", "> from the file")
}

func TestIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	ln.Close()
	p := start(t, "-addr", "[::1]:0")
	if _, body, _ := get(t, "http://"+p.addr+"/hello"); body != "Hello, World!" {
		t.Fatalf("GET over IPv6 = %q", body)
	}
}

func TestSIGTERMShutsDownGracefully(t *testing.T) {
	p := start(t, "-addr", "127.0.0.1:0")
	get(t, "http://"+p.addr+"/hello")
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("brick did not exit after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0:\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "stopped") {
		t.Fatalf("no shutdown log:\n%s", p.output())
	}
}

func TestBadUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // on stdout
		wantErr  string // on stderr
	}{
		{"unknown flag", []string{"-nope"}, 2, "", "flag provided but not defined"},
		{"invalid address", []string{"-addr", "256.0.0.1:80"}, 1, "", "brick: cannot listen on 256.0.0.1:80: "},
		{"help", []string{"-h"}, 0, "Usage: brick [flags] [DIR]", ""},
		{"missing directory", []string{"/nonexistent-brick-dir"}, 1, "", "static root /nonexistent-brick-dir does not exist"},
		{"two directories", []string{".", "."}, 2, "", "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode || !strings.Contains(stdout.String(), tc.wantOut) || !strings.Contains(stderr.String(), tc.wantErr) ||
				(tc.wantOut == "") != (stdout.Len() == 0) || (tc.wantErr == "") != (stderr.Len() == 0) {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, %q on stdout, %q on stderr",
					tc.args, code, stdout.String(), stderr.String(), tc.wantCode, tc.wantOut, tc.wantErr)
			}
		})
	}
}

// TestServeDirectory runs `brick DIR` and `brick .` for real: a file, the
// index, a listing, a redirect, a range, flags after DIR, and a traversal
// that must not leave the directory.
func TestServeDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "www")
	os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>home</h1>"), 0o644)
	os.WriteFile(filepath.Join(dir, "docs", "a.txt"), []byte("file a"), 0o644)
	os.WriteFile(filepath.Join(parent, "secret"), []byte("secret"), 0o644)

	p := start(t, "-addr", "127.0.0.1:0", dir, "-cache-control", "max-age=60")
	base := "http://" + p.addr
	if status, body, h := get(t, base+"/"); status != 200 || body != "<h1>home</h1>" || h.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET / = %d %q %q", status, body, h.Get("Content-Type"))
	}
	if status, body, h := get(t, base+"/docs/a.txt"); status != 200 || body != "file a" || h.Get("Cache-Control") != "max-age=60" || h.Get("ETag") == "" {
		t.Errorf("GET /docs/a.txt = %d %q %v", status, body, h)
	}
	if status, body, _ := get(t, base+"/docs"); status != 200 || !strings.Contains(body, `href="a.txt"`) {
		t.Errorf("GET /docs (redirected to the listing) = %d %q", status, body)
	}
	req, _ := http.NewRequest("GET", base+"/docs/a.txt", nil)
	req.Header.Set("Range", "bytes=5-")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || string(b) != "a" {
		t.Errorf("range = %d %q", resp.StatusCode, b)
	}
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /../secret HTTP/1.1\r\nHost: x\r\n\r\n")
	// The router refuses a path that climbs above the root (400), as
	// under brick run; the file server would not find it either (404).
	resp, err = http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 400 && resp.StatusCode != 404 || strings.Contains(string(b), "secret") {
		t.Errorf("GET /../secret = %d %q; want 400 or 404", resp.StatusCode, b)
	}
	if !strings.Contains(p.output(), "dir="+dir) {
		t.Errorf("log does not name the directory:\n%s", p.output())
	}

	// brick . serves the working directory; -listing=false turns listings off.
	cmd := start2(t, dir, "-addr", "127.0.0.1:0", "-listing=false", ".")
	if status, _, _ := get(t, "http://"+cmd.addr+"/docs/"); status != 403 {
		t.Errorf("brick -listing=false . : GET /docs/ = %d, want 403", status)
	}
	if status, body, _ := get(t, "http://"+cmd.addr+"/docs/a.txt"); status != 200 || body != "file a" {
		t.Errorf("brick . : GET /docs/a.txt = %d %q", status, body)
	}
}

// start2 is start with a working directory.
func start2(t *testing.T, wd string, args ...string) *proc {
	t.Helper()
	old, _ := os.Getwd()
	binary(t)
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	return start(t, args...)
}

// wsgiApps is the WSGI gateway's test applications.
var wsgiApps = filepath.Join("..", "..", "gateway", "wsgi", "testdata", "apps")

// TestWSGI runs `brick wsgi` for real: a Flask application answers, and
// SIGTERM stops brick with its Python workers; an application that does
// not import stops brick at once, with Python's traceback.
func TestWSGI(t *testing.T) {
	python := testutil.NeedPython(t)
	apps, err := filepath.Abs(wsgiApps)
	if err != nil {
		t.Fatal(err)
	}

	// With --preload the workers are forked by a zygote, which must be
	// gone too.
	for _, preload := range []string{"--preload=false", "--preload"} {
		t.Run("serve and stop "+preload, func(t *testing.T) {
			serveAndStop(t, python, apps, preload)
		})
	}

	// SIGHUP applies the command line's settings again: the same pool,
	// its workers replaced by ones importing the new code (forked by a new
	// zygote, with --preload).
	for _, preload := range []string{"--preload=false", "--preload"} {
		t.Run("SIGHUP reloads the code "+preload, func(t *testing.T) {
			reloadCode(t, python, preload)
		})
	}
	t.Run("application fails to import", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "brokenapp.py"), []byte("raise RuntimeError('cannot import me')\n"), 0o644)
		cmd := exec.Command(binary(t), "wsgi", "brokenapp:app", "--chdir", dir, "--python", python, "-addr", "127.0.0.1:0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("brick wsgi with a broken application did not exit:\n%s", stderr.String())
		}
		if code := cmd.ProcessState.ExitCode(); code == 0 {
			t.Errorf("exit code 0 for an application that does not import")
		}
		for _, want := range []string{"brokenapp", "Traceback", "RuntimeError: cannot import me"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		}
		if took := time.Since(t0); took > 10*time.Second {
			t.Errorf("brick took %v to give up", took)
		}
	})
}
