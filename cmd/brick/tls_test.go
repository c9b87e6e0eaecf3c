package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// httpsClient trusts ca only.
func httpsClient(ca *testutil.CA) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
}

// TestTLSQuickModes: brick -tls-cert -tls-key DIR (and the welcome site)
// serve HTTPS on -addr, through the real binary; plain HTTP sent there
// gets 400; curl agrees.
func TestTLSQuickModes(t *testing.T) {
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	os.Mkdir(www, 0o755)
	os.WriteFile(filepath.Join(www, "a.txt"), []byte("file a"), 0o644)
	ca := testutil.NewCA(t)
	cert, key := ca.IssueFiles(t, dir, "", "localhost", "127.0.0.1")
	client := httpsClient(ca)

	p := start(t, "-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key, www)
	if !strings.Contains(p.output(), "curl https://") {
		t.Errorf("the start-up line does not say https:\n%s", p.output())
	}
	resp, err := client.Get("https://" + p.addr + "/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "file a" || resp.TLS == nil {
		t.Fatalf("GET https /a.txt: %d %q %+v", resp.StatusCode, b, resp.TLS)
	}
	// Plain HTTP to the HTTPS address: a plain 400, as nginx answers.
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
	plain, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || plain.StatusCode != 400 {
		t.Fatalf("plain HTTP to the HTTPS port: %v %v", plain, err)
	}
	t.Run("curl", func(t *testing.T) {
		curl := testutil.LookPath(t, "curl")
		out, err := exec.Command(curl, "-sS", "--cacert", ca.WriteRoot(t, t.TempDir()), "https://"+p.addr+"/a.txt").CombinedOutput()
		if err != nil || string(out) != "file a" {
			t.Fatalf("curl: %v %s", err, out)
		}
	})
	t.Run("welcome site", func(t *testing.T) {
		w := start(t, "-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key)
		resp, err := client.Get("https://" + w.addr + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET /hello over HTTPS: %d", resp.StatusCode)
		}
	})
}

// TestTLSBadFiles: a quick mode with unusable files stops at start with a
// message naming the file and what to do.
func TestTLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	cert, key := ca.IssueFiles(t, dir, "", "localhost")
	_, otherKey := ca.IssueFiles(t, dir, "other-", "localhost")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing key file", []string{"-tls-cert", cert, "-tls-key", filepath.Join(dir, "nope.pem"), dir}, "nope.pem: no such file"},
		{"key of another certificate", []string{"-tls-cert", cert, "-tls-key", otherKey, dir}, "is not the key of the certificate"},
		{"cert without key", []string{"-tls-cert", cert, dir}, "-tls-cert: tls needs both cert and key"},
		{"key without cert", []string{"-tls-key", key, dir}, "-tls-cert: tls needs both cert and key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(append([]string{"-addr", "127.0.0.1:0"}, tc.args...), io.Discard, &stderr)
			if code == 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %q", code, stderr.String(), tc.want)
			}
		})
	}
}

// TestTLSValidate: brick validate loads the certificates: a host the
// certificate does not cover is reported with its line.
func TestTLSValidate(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	ca.IssueFiles(t, dir, "", "a.test")
	conf := filepath.Join(dir, "brick.toml")
	write := func(hosts string) {
		os.WriteFile(conf, []byte("[server]\nlisten_tls = [\":8443\"]\n[[site]]\nhosts = "+hosts+"\ntls = { cert = \"cert.pem\", key = \"key.pem\" }\n[[site.route]]\npath = \"/\"\nrespond = { body = \"hi\" }\n"), 0o644)
	}
	write(`["a.test"]`)
	var stdout, stderr bytes.Buffer
	if code := validateConfig([]string{"-config", conf}, &stdout, &stderr); code != 0 {
		t.Fatalf("valid file: exit %d: %s", code, stderr.String())
	}
	write(`["a.test", "b.test"]`)
	stderr.Reset()
	code := validateConfig([]string{"-config", conf}, &stdout, &stderr)
	if want := conf + `:5:1: the certificate ` + filepath.Join(dir, "cert.pem") + ` does not cover the site's "b.test"`; code == 0 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("exit %d, stderr %q, want %q", code, stderr.String(), want)
	}
}

// TestTLSReloadCertificate: brick run re-reads the certificate files on
// SIGHUP; new handshakes get the new certificate, without a restart.
func TestTLSReloadCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	ca.IssueFiles(t, dir, "", "a.test")
	conf := filepath.Join(dir, "brick.toml")
	os.WriteFile(conf, []byte("[server]\nlisten_tls = [\"127.0.0.1:0\"]\n[[site]]\nhosts = [\"a.test\"]\ntls = { cert = \"cert.pem\", key = \"key.pem\" }\n[[site.route]]\npath = \"/\"\nrespond = { body = \"hi\" }\n"), 0o644)
	p := start(t, "run", "-config", conf)
	serial := func() string {
		t.Helper()
		c, err := tls.Dial("tcp", p.addr, &tls.Config{RootCAs: ca.Pool, ServerName: "a.test"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	ca.IssueFiles(t, dir, "", "a.test") // renewed: a new serial
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitOutput(t, "the log", p.output, "reloaded the configuration")
	if second := serial(); second == first {
		t.Fatalf("after SIGHUP the old certificate (serial %s) is still served", first)
	}
	// A broken renewal keeps the certificate served, and says why.
	os.WriteFile(filepath.Join(dir, "key.pem"), []byte("not a key"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitOutput(t, "the log", p.output, "reload failed")
	serial()
}

// TestTLSInternal: brick -tls-internal DIR serves HTTPS with a certificate
// from the internal CA, whose root the log names; curl and Go's client
// trust that root for localhost and 127.0.0.1; a second start keeps it.
func TestTLSInternal(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "a.txt"), []byte("file a"), 0o644)
	root := filepath.Join(data, "brick", "pki", "root.crt")

	p := start(t, "-addr", "127.0.0.1:0", "-tls-internal", www)
	waitOutput(t, "the log", p.output, "tls internal", "root="+root, "update-ca-certificates")
	first, err := os.ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(p.addr)
	curl := testutil.LookPath(t, "curl")
	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run("curl "+host, func(t *testing.T) {
			out, err := exec.Command(curl, "-sS", "--cacert", root, "https://"+host+":"+port+"/a.txt").CombinedOutput()
			if err != nil || string(out) != "file a" {
				t.Fatalf("curl: %v %s", err, out)
			}
		})
	}
	t.Run("unknown name", func(t *testing.T) {
		c, err := tls.Dial("tcp", p.addr, &tls.Config{ServerName: "other.test", InsecureSkipVerify: true})
		if err == nil {
			c.Close()
			t.Fatal("a name no site has got a certificate")
		}
	})
	t.Run("second start", func(t *testing.T) {
		again := start(t, "-addr", "127.0.0.1:0", "-tls-internal", www)
		waitOutput(t, "the log", again.output, "root="+root)
		if now, _ := os.ReadFile(root); !bytes.Equal(now, first) {
			t.Fatal("a second start made another root")
		}
	})
}
