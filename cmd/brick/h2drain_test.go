package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"golang.org/x/net/http2"
	"golang.org/x/sys/unix"
)

// drainApp answers once it has read the whole body: a POST whose client
// holds the body open is a stream in flight for as long as the test
// wants.
const drainApp = `import os

def application(environ, start_response):
    n = len(environ["wsgi.input"].read())
    body = ("%s %s %d" % (os.environ.get("VERSION", "?"), environ["SERVER_PROTOCOL"], n)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

const drainConf = `
[server]
{{listen}}
shutdown_timeout = "20s"

[log]
access = "off"

[[site]]
{{site}}
  [[site.route]]
  path = "/"
  wsgi = { app = "drainapp", chdir = ".", python = "{{python}}", workers = 2, env = { VERSION = "{{version}}" } }
`

// TestH2DrainOnReloadAndUpgrade keeps an HTTP/2 stream in flight (its
// request body open) across SIGHUP and then SIGUSR2, on one connection,
// h2c and h2 over TLS: after the reload, new streams on that connection
// get the new configuration; after the upgrade, the old process's GOAWAY
// sends new streams to a new connection, served by the new process, while
// the stream in flight finishes on the old one, which then exits 0.
func TestH2DrainOnReloadAndUpgrade(t *testing.T) {
	testutil.NeedPython(t)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"h2c", false}, {"h2", true}} {
		t.Run(tc.name, func(t *testing.T) { h2Drain(t, tc.tls) })
	}
}

func h2Drain(t *testing.T, useTLS bool) {
	real, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "brick")
	deploy(t, bin, real)
	listen, site := `listen = ["127.0.0.1:0"]`, ""
	var roots *x509.CertPool
	if useTLS {
		ca := testutil.NewCA(t)
		ca.IssueFiles(t, dir, "", "a.test")
		roots = ca.Pool
		listen, site = `listen_tls = ["127.0.0.1:0"]`, `hosts = ["a.test"]
tls = { cert = "cert.pem", key = "key.pem" }`
	}
	conf := func(version string) {
		writeConf(t, dir, strings.NewReplacer("{{version}}", version, "{{listen}}", listen, "{{site}}", site).Replace(drainConf))
		if err := os.WriteFile(filepath.Join(dir, "drainapp.py"), []byte(drainApp), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf("v1")
	p := startRun(t, bin, dir, nil)
	var dials atomic.Int32
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
			dials.Add(1)
			nc, err := new(net.Dialer).DialContext(ctx, network, p.addr)
			if err != nil || !useTLS {
				return nc, err
			}
			tc := tls.Client(nc, &tls.Config{RootCAs: roots, ServerName: "a.test", NextProtos: []string{"h2"}})
			if err := tc.HandshakeContext(ctx); err != nil {
				nc.Close()
				return nil, err
			}
			return tc, nil
		},
	}}
	url := "http://" + p.addr + "/"
	if useTLS {
		url = "https://a.test/"
	}
	get := func(want string) {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || string(b) != want {
			t.Fatalf("GET over %s: %q, want %q", resp.Proto, b, want)
		}
	}
	get("v1 HTTP/2 0")

	pr, pw := io.Pipe()
	defer pw.Close()
	inflight := make(chan string, 1)
	wrote := make(chan struct{})
	go func() {
		// The handler (and with it the configuration) is chosen when the
		// HEADERS arrive, long before a reload has started new workers.
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			WroteHeaders: func() { close(wrote) },
		})
		req, _ := http.NewRequestWithContext(ctx, "POST", url, pr)
		resp, err := c.Do(req)
		if err != nil {
			inflight <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- string(b)
	}()
	select {
	case <-wrote:
	case got := <-inflight:
		t.Fatalf("the request to hold open: %s", got)
	}
	io.WriteString(pw, "in flight, ")
	time.Sleep(50 * time.Millisecond) // the HEADERS reach the server

	conf("v2")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, regexp.MustCompile(`msg="reloaded the configuration"`), 1, 60*time.Second)
	get("v2 HTTP/2 0")
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections after the reload, want the first one still", n)
	}

	conf("v3")
	p.cmd.Process.Signal(syscall.SIGUSR2)
	m := p.waitLog(t, regexp.MustCompile(`msg="the new process serves; draining this one" new_pid=(\d+)`), 1, 60*time.Second)
	newPID, _ := strconv.Atoi(m[1])
	newDone := make(chan struct{})
	go func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(newPID, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
		close(newDone)
	}()
	t.Cleanup(func() {
		syscall.Kill(newPID, syscall.SIGTERM)
		select {
		case <-newDone:
		case <-time.After(30 * time.Second):
			syscall.Kill(newPID, syscall.SIGKILL)
		}
	})
	// The GOAWAY may still be on its way: until it arrives, a stream
	// opened on the old connection is still the old process's, and
	// correct; after it, every new stream is the new process's.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "v3 HTTP/2 0" {
			break
		}
		if string(b) != "v2 HTTP/2 0" || time.Now().After(deadline) {
			t.Fatalf("after SIGUSR2: %q", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Two, or three when the old process took one last connection from
	// the shared listener as it stopped accepting: that one gets GOAWAY
	// at once and the client dials again.
	if n := dials.Load(); n < 2 || n > 3 {
		t.Errorf("%d connections after the upgrade, want 2 (or 3)", n)
	}
	select {
	case <-p.done:
		t.Fatal("the old process exited with a stream in flight")
	case got := <-inflight:
		t.Fatalf("the stream in flight ended early: %q", got)
	default:
	}
	io.WriteString(pw, "then done")
	pw.Close()
	if got := <-inflight; got != "v1 HTTP/2 20" {
		t.Errorf("the stream in flight across reload and upgrade got %q, want v1's answer to its whole body", got)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the old process did not exit once its stream finished")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("the old process exited with %d, want 0", code)
	}
}
