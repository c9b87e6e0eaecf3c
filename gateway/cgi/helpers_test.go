package cgi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/cgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
)

// Integration tests: a real Brick server on a loopback socket runs real
// shell and Python scripts written to a temporary root.

// file is one file of a test root.
type file struct {
	body string
	mode os.FileMode
	link string // when set, a symbolic link to this target instead
}

// exe is an executable script.
func exe(body string) file { return file{body: body, mode: 0o755} }

// needTools fails or skips the test without /bin/sh or Python.
func needTools(t *testing.T) {
	t.Helper()
	testutil.LookPath(t, "sh")
	testutil.NeedPython(t)
}

// makeRoot writes files under a new directory and returns its path.
func makeRoot(t *testing.T, files map[string]file) string {
	t.Helper()
	root := t.TempDir()
	for name, f := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if f.link != "" {
			err = os.Symlink(f.link, p)
		} else {
			err = os.WriteFile(p, []byte(f.body), f.mode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// logBuf collects a log written from many goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the log has a line holding every one of subs, and
// returns it.
func (l *logBuf) waitFor(t *testing.T, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for line := range strings.Lines(l.String()) {
			all := true
			for _, s := range subs {
				all = all && strings.Contains(line, s)
			}
			if all {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line holds all of %q; the log:\n%s", subs, l)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve runs a CGI handler for cfg on a loopback server and returns its
// address and the log of both.
func serve(t *testing.T, cfg cgi.Config) (string, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	log := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.Mount == "" && cfg.Root != "" {
		cfg.Mount = "/cgi-bin"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	cfg.Logger = log
	h, err := cgi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return loopback.Serve(t, &server.Server{Handler: h, Logger: log}), lb
}

// response is what a raw request got back.
type response struct {
	status int
	header http.Header
	body   []byte
	err    error // from reading the body: a cut response
	local  string
}

// do sends one raw request (head lines without the final empty line,
// and the body) and reads the response.
func do(t *testing.T, addr, head string, body []byte) response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		io.WriteString(c, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n")
		c.Write(body)
	}()
	method, _, _ := strings.Cut(head, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response to %q: %v", head, err)
	}
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b, err: err, local: c.LocalAddr().String()}
}

// get sends a GET for target.
func get(t *testing.T, addr, target string) response {
	t.Helper()
	return do(t, addr, fmt.Sprintf("GET %s HTTP/1.1\nHost: example.test\nConnection: close", target), nil)
}

// envOf reads "NAME=value" lines, as env(1) prints them.
func envOf(b []byte) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if ok {
			m[k] = v
		}
	}
	return m
}
