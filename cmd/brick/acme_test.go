package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// The ACME tests run the real binary against Pebble, Let's Encrypt's test
// CA, with pebble-challtestsrv as its DNS server answering 127.0.0.1 for
// every name: Pebble validates the challenges on Brick's own listeners.

// freePort returns a port the kernel just gave out: Pebble must be told
// Brick's ports (and Brick Pebble's) before either starts.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// logBuffer collects a helper process's output.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runTool starts a test peer until the test ends (or stop), logging its
// output when the test fails.
func runTool(t *testing.T, name string, env []string, args ...string) (stop func(), out *logBuffer) {
	t.Helper()
	out = &logBuffer{}
	cmd := exec.Command(testutil.LookPath(t, name), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return stop, out
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pebble is a Pebble CA for one test.
type pebble struct {
	dir, url, mgmt string
	// caFile is the root of Pebble's own HTTPS (Brick's acme_ca_root).
	caFile string
	caPool *x509.CertPool
	stop   func()
	out    *logBuffer
}

// newPebble prepares a Pebble that validates on Brick's httpPort and
// tlsPort and issues certificates valid for validity; start runs it.
func newPebble(t *testing.T, httpPort, tlsPort int, validity time.Duration) *pebble {
	t.Helper()
	testutil.LookPath(t, "pebble")
	testutil.LookPath(t, "pebble-challtestsrv")
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	cert, key := ca.IssueFiles(t, dir, "pebble-", "127.0.0.1", "localhost")
	p := &pebble{dir: dir, caFile: filepath.Join(dir, "pebble-ca.pem"), caPool: ca.Pool}
	if err := os.WriteFile(p.caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	p.mgmt = "127.0.0.1:" + strconv.Itoa(freePort(t))
	p.url = "https://" + listen + "/dir"
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": p.mgmt,
		"certificate": cert, "privateKey": key,
		"httpPort": httpPort, "tlsPort": tlsPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
		"profiles": map[string]any{"default": map[string]any{"description": "test", "validityPeriod": int(validity / time.Second)}},
	}}
	data, err := json.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pebble.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs pebble-challtestsrv (DNS: every name is 127.0.0.1) and
// Pebble, and waits for both.
func (p *pebble) start(t *testing.T) {
	t.Helper()
	dns := "127.0.0.1:" + strconv.Itoa(freePort(t))
	mgmt := "127.0.0.1:" + strconv.Itoa(freePort(t))
	runTool(t, "pebble-challtestsrv", nil, "-dnsserver", dns, "-management", mgmt,
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	waitListening(t, mgmt)
	p.stop, p.out = runTool(t, "pebble", []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"},
		"-config", filepath.Join(p.dir, "pebble.json"), "-dnsserver", dns)
	waitListening(t, strings.TrimSuffix(strings.TrimPrefix(p.url, "https://"), "/dir"))
}

// roots fetches the root Pebble issues under, which clients trust.
func (p *pebble) roots(t *testing.T) (*x509.CertPool, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.caPool}}, Timeout: 5 * time.Second}
	resp, err := c.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pem, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("roots: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("roots: not PEM: %q", pem)
	}
	file := filepath.Join(p.dir, "issuing-root.pem")
	if err := os.WriteFile(file, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return pool, file
}

// handshake connects to addr asking for name and verifies the chain
// against roots; it returns the leaf.
func handshake(addr, name string, roots *x509.CertPool) (*x509.Certificate, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

// waitCertificate waits until addr serves a certificate for name that
// roots trust, other than the one with serial not (nil: any).
func waitCertificate(t *testing.T, addr, name string, roots *x509.CertPool, not *x509.Certificate, within time.Duration) *x509.Certificate {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		leaf, err := handshake(addr, name, roots)
		if err == nil && (not == nil || leaf.SerialNumber.Cmp(not.SerialNumber) != 0) {
			return leaf
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new certificate for %s on %s within %s: %v", name, addr, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pebbleClient trusts roots and reaches every name at addr.
func pebbleClient(addr string, roots *x509.CertPool) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       5 * time.Second,
	}
}

// TestACMEDomain: `brick -domain NAME DIR` pointed at Pebble obtains a
// certificate and serves DIR with it (Go's client and curl, trusting
// Pebble's root); the plain listener redirects to HTTPS with 308, path and
// query kept, and answers challenge paths itself; a name without a
// certificate fails the handshake.
func TestACMEDomain(t *testing.T) {
	t.Parallel()
	curl := testutil.LookPath(t, "curl")
	httpPort, tlsPort := freePort(t), freePort(t)
	p := newPebble(t, httpPort, tlsPort, time.Hour)
	p.start(t)
	site := t.TempDir()
	if err := os.WriteFile(filepath.Join(site, "hello.txt"), []byte("hello over https\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tlsAddr, httpAddr := "127.0.0.1:"+strconv.Itoa(tlsPort), "127.0.0.1:"+strconv.Itoa(httpPort)
	b := start(t, "-domain", "www.brick.test", "-domain", "brick.test", site,
		"-addr", tlsAddr, "-http-addr", httpAddr, "-acme-ca", p.url, "-acme-ca-root", p.caFile,
		"-storage", filepath.Join(t.TempDir(), "storage"), "-email", "ops@brick.test")
	roots, rootFile := p.roots(t)
	leaf := waitCertificate(t, tlsAddr, "brick.test", roots, nil, 20*time.Second)
	if err := leaf.VerifyHostname("brick.test"); err != nil {
		t.Fatal(err)
	}
	waitCertificate(t, tlsAddr, "www.brick.test", roots, nil, 20*time.Second)

	c := pebbleClient(tlsAddr, roots)
	resp, err := c.Get("https://brick.test/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello over https\n" {
		t.Fatalf("GET over HTTPS: %d %q", resp.StatusCode, body)
	}
	out, err := exec.Command(curl, "-sS", "--max-time", "5", "--cacert", rootFile,
		"--resolve", fmt.Sprintf("brick.test:%d:127.0.0.1", tlsPort), fmt.Sprintf("https://brick.test:%d/hello.txt", tlsPort)).CombinedOutput()
	if err != nil || string(out) != "hello over https\n" {
		t.Fatalf("curl: %v: %s", err, out)
	}
	if _, err := handshake(tlsAddr, "other.test", roots); err == nil {
		t.Fatal("a name without a certificate got one")
	}

	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Second}
	for _, tc := range []struct {
		name, host, target string
		status             int
		location           string
	}{
		{"path and query kept", "brick.test", "/a/b%20c?x=1&y=%2F", 308, fmt.Sprintf("https://brick.test:%d/a/b%%20c?x=1&y=%%2F", tlsPort)},
		{"port of the request dropped, case folded", "WWW.Brick.test:" + strconv.Itoa(httpPort), "/", 308, fmt.Sprintf("https://www.brick.test:%d/", tlsPort)},
		{"unknown challenge token", "brick.test", "/.well-known/acme-challenge/nope", 404, ""},
		{"a name Brick does not serve", "other.test", "/", 404, ""},
	} {
		req, _ := http.NewRequest("GET", "http://"+httpAddr+tc.target, nil)
		req.Host = tc.host
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
			t.Errorf("%s: %d Location %q, want %d %q", tc.name, resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location)
		}
	}
	waitOutput(t, "brick's log", b.output, "certificate obtained", "name=brick.test",
		fmt.Sprintf(`names=www.brick.test,brick.test try="curl https://www.brick.test:%d/"`, tlsPort))
}

// acmeFile is a configuration serving a site named name with tls =
// "auto" from Pebble: plain on httpPort, HTTPS on tlsPort, admin on admin.
func acmeFile(t *testing.T, p *pebble, name string, httpPort, tlsPort int, admin, challenges string, storage ...string) string {
	t.Helper()
	dir := t.TempDir()
	conf := fmt.Sprintf(`[server]
listen = ["127.0.0.1:%d"]
listen_tls = ["127.0.0.1:%d"]
%s
[log]
access = "off"
[tls]
acme_ca = %q
acme_ca_root = %q
storage = "storage"
renew_interval = "1s"
challenges = %s
[[site]]
hosts = [%q]
tls = "auto"
  [[site.route]]
  path = "/"
  respond = { body = "auto\n" }
`, httpPort, tlsPort, adminLine(admin), p.url, p.caFile, challenges, name)
	if len(storage) > 0 {
		conf = strings.Replace(conf, `storage = "storage"`, fmt.Sprintf("storage = %q", storage[0]), 1)
	}
	file := filepath.Join(dir, "brick.toml")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func adminLine(admin string) string {
	if admin == "" {
		return ""
	}
	return fmt.Sprintf("admin = %q", admin)
}

// TestACMEChallenges: each challenge type on its own obtains the
// certificate through Brick's listeners (Pebble validates HTTP-01 on the
// plain one, TLS-ALPN-01 on the HTTPS one); Pebble's short-lived
// certificates are renewed in the background and the new one served
// without a restart; the admin endpoint shows the expiry.
func TestACMEChallenges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		challenge string
		validity  time.Duration
		renew     bool
	}{
		{"http-01", time.Hour, false},
		{"tls-alpn-01", 8 * time.Second, true},
	} {
		t.Run(tc.challenge, func(t *testing.T) {
			t.Parallel()
			httpPort, tlsPort := freePort(t), freePort(t)
			p := newPebble(t, httpPort, tlsPort, tc.validity)
			p.start(t)
			admin := "127.0.0.1:" + strconv.Itoa(freePort(t))
			name := strings.ReplaceAll(tc.challenge, "-", "") + ".brick.test"
			b := start(t, "run", "-config", acmeFile(t, p, name, httpPort, tlsPort, admin, `["`+tc.challenge+`"]`))
			roots, _ := p.roots(t)
			tlsAddr := "127.0.0.1:" + strconv.Itoa(tlsPort)
			first := waitCertificate(t, tlsAddr, name, roots, nil, 20*time.Second)
			validatedHTTP := strings.Contains(p.out.String(), "Attempting to validate w/ HTTP")
			if validatedHTTP != (tc.challenge == "http-01") {
				t.Errorf("Pebble validated over HTTP: %v, for %s", validatedHTTP, tc.challenge)
			}
			fams := scrape(t, "http://"+admin+"/metrics")
			if v, ok := metricValue(fams, "brick_tls_certificate_expiry_timestamp_seconds", map[string]string{"name": name}); !ok || int64(v) != first.NotAfter.Unix() {
				t.Errorf("expiry metric %v (%v), want %d", v, ok, first.NotAfter.Unix())
			}
			if !tc.renew {
				return
			}
			second := waitCertificate(t, tlsAddr, name, roots, first, 15*time.Second)
			// Not After: Pebble's renewal information may open the
			// window at once for an 8-second certificate, and a renewal
			// in the same second expires in the same second.
			if second.NotAfter.Before(first.NotAfter) {
				t.Fatalf("renewed certificate expires %s, the first %s", second.NotAfter, first.NotAfter)
			}
			waitOutput(t, "brick's log", b.output, "certificate renewed")
		})
	}
}

// TestACMECADown: with the CA down at start, Brick serves at once (the
// plain listener redirects, /healthz says ok), fails handshakes for the
// name, logs why it has no certificate and retries with backoff; once the
// CA is up it obtains and serves the certificate without a restart.
func TestACMECADown(t *testing.T) {
	t.Parallel()
	httpPort, tlsPort := freePort(t), freePort(t)
	p := newPebble(t, httpPort, tlsPort, time.Hour)
	admin := "127.0.0.1:" + strconv.Itoa(freePort(t))
	const name = "down.brick.test"
	b := start(t, "run", "-config", acmeFile(t, p, name, httpPort, tlsPort, admin, `["http-01", "tls-alpn-01"]`))
	waitOutput(t, "brick's log", b.output, "cannot obtain a certificate yet; retrying", "name="+name, "connection refused", "retry_in=1s")
	// The backoff doubles while the CA cannot be reached.
	waitOutput(t, "brick's log", b.output, "attempt=2 retry_in=2s")
	if code, body, _ := get(t, "http://"+admin+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz while the CA is down: %d %q", code, body)
	}
	tlsAddr := "127.0.0.1:" + strconv.Itoa(tlsPort)
	if _, err := handshake(tlsAddr, name, nil); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("handshake without a certificate: %v, want the server's refusal", err)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/x?y", httpPort), nil)
	req.Host = name
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 308 || resp.Header.Get("Location") != fmt.Sprintf("https://%s:%d/x?y", name, tlsPort) {
		t.Fatalf("plain request: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	p.start(t)
	roots, _ := p.roots(t)
	waitCertificate(t, tlsAddr, name, roots, nil, 20*time.Second)
	fams := scrape(t, "http://"+admin+"/metrics")
	if v, ok := metricValue(fams, "brick_tls_certificate_failures_total", nil); !ok || v < 2 {
		t.Errorf("failures %v (%v), want 2 at least", v, ok)
	}
}

// TestACMESharedStorage: two instances sharing one storage directory
// start together for the same name; the CA issues one certificate, which
// both serve: one obtained it under the storage's lock while the other
// waited and loaded it (and, had the other taken the lock first, the CA's
// validation reaching the first would have been answered from the
// storage).
func TestACMESharedStorage(t *testing.T) {
	t.Parallel()
	httpPort, tlsPort := freePort(t), freePort(t)
	p := newPebble(t, httpPort, tlsPort, time.Hour)
	p.start(t)
	storage := filepath.Join(t.TempDir(), "shared")
	const name = "shared.brick.test"
	// Pebble validates on the first instance's ports only.
	other := [2]int{freePort(t), freePort(t)}
	a := start(t, "run", "-config", acmeFile(t, p, name, httpPort, tlsPort, "", `["http-01", "tls-alpn-01"]`, storage))
	b := start(t, "run", "-config", acmeFile(t, p, name, other[0], other[1], "", `["http-01", "tls-alpn-01"]`, storage))
	roots, _ := p.roots(t)
	leafA := waitCertificate(t, "127.0.0.1:"+strconv.Itoa(tlsPort), name, roots, nil, 20*time.Second)
	leafB := waitCertificate(t, "127.0.0.1:"+strconv.Itoa(other[1]), name, roots, nil, 20*time.Second)
	if leafA.SerialNumber.Cmp(leafB.SerialNumber) != 0 {
		t.Errorf("the instances serve different certificates: %x and %x", leafA.SerialNumber, leafB.SerialNumber)
	}
	if n := strings.Count(p.out.String(), "Issued certificate serial"); n != 1 {
		t.Errorf("Pebble issued %d certificates, want 1", n)
	}
	waitOutput(t, "first instance's log", a.output, "certificate ready")
	waitOutput(t, "second instance's log", b.output, "certificate ready")
}

// TestACMEReload: tls = "auto" sites added to the file are obtained after
// SIGHUP, without a restart: the first one when the file had none (the
// certificate manager starts then), a second one beside it, which keeps
// its certificate. A site removed from the file has its name released:
// no longer renewed, gone from the metrics.
func TestACMEReload(t *testing.T) {
	t.Parallel()
	httpPort, tlsPort := freePort(t), freePort(t)
	p := newPebble(t, httpPort, tlsPort, time.Hour)
	p.start(t)
	admin := "127.0.0.1:" + strconv.Itoa(freePort(t))
	file := acmeFile(t, p, "first.brick.test", httpPort, tlsPort, admin, `["http-01", "tls-alpn-01"]`)
	conf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// At first the site stays plain: no automatic certificate at all.
	if err := os.WriteFile(file, []byte(strings.Replace(string(conf), `tls = "auto"`, `tls = "off"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	b := start(t, "run", "-config", file)
	roots, _ := p.roots(t)
	tlsAddr := "127.0.0.1:" + strconv.Itoa(tlsPort)
	reload := func(conf []byte, n int) {
		t.Helper()
		if err := os.WriteFile(file, conf, 0o644); err != nil {
			t.Fatal(err)
		}
		b.cmd.Process.Signal(syscall.SIGHUP)
		waitOutput(t, "brick's log", func() string {
			if strings.Count(b.output(), "reloaded the configuration") >= n {
				return "reloaded"
			}
			return b.output()
		}, "reloaded")
	}
	reload(conf, 1)
	first := waitCertificate(t, tlsAddr, "first.brick.test", roots, nil, 20*time.Second)
	if _, err := handshake(tlsAddr, "second.brick.test", roots); err == nil {
		t.Fatal("a name of no site got a certificate")
	}
	reload(append(conf, "[[site]]\nhosts = [\"second.brick.test\"]\ntls = \"auto\"\n  [[site.route]]\n  path = \"/\"\n  respond = { body = \"second\\n\" }\n"...), 2)
	waitCertificate(t, tlsAddr, "second.brick.test", roots, nil, 20*time.Second)
	if again, err := handshake(tlsAddr, "first.brick.test", roots); err != nil || again.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Fatalf("the first site's certificate after the reload: %v", err)
	}
	resp, err := pebbleClient(tlsAddr, roots).Get("https://second.brick.test/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "second\n" {
		t.Fatalf("second site: %q", body)
	}
	expiry := func(name string) bool {
		_, ok := metricValue(scrape(t, "http://"+admin+"/metrics"), "brick_tls_certificate_expiry_timestamp_seconds", map[string]string{"name": name})
		return ok
	}
	if !expiry("first.brick.test") || !expiry("second.brick.test") {
		t.Fatal("both names should have an expiry metric")
	}
	// The first site leaves the file: its name is released.
	third := strings.Replace(string(conf), "first.brick.test", "second.brick.test", 1)
	reload([]byte(third), 3)
	waitOutput(t, "brick's log", b.output, `certificate no longer managed: no site uses the name" name=first.brick.test`)
	if expiry("first.brick.test") || !expiry("second.brick.test") {
		t.Fatal("after the reload only second.brick.test should have an expiry metric")
	}
	if _, err := handshake(tlsAddr, "first.brick.test", roots); err == nil {
		t.Fatal("a released name still completes a handshake")
	}
}

// TestACMEReloadSettings: a reload that changes [tls] (here the storage)
// puts a new certificate manager in force without a restart. It obtains
// the certificate into the new storage, and no handshake fails meanwhile:
// the old manager's certificate answers until the new one is there.
func TestACMEReloadSettings(t *testing.T) {
	t.Parallel()
	httpPort, tlsPort := freePort(t), freePort(t)
	p := newPebble(t, httpPort, tlsPort, time.Hour)
	p.start(t)
	const name = "settings.brick.test"
	oldStore, newStore := t.TempDir(), t.TempDir()
	file := acmeFile(t, p, name, httpPort, tlsPort, "", `["http-01"]`, oldStore)
	b := start(t, "run", "-config", file)
	roots, _ := p.roots(t)
	tlsAddr := "127.0.0.1:" + strconv.Itoa(tlsPort)
	first := waitCertificate(t, tlsAddr, name, roots, nil, 20*time.Second)
	conf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.Replace(string(conf), fmt.Sprintf("storage = %q", oldStore), fmt.Sprintf("storage = %q", newStore), 1))
	if err := os.WriteFile(file, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	b.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for {
		leaf, err := handshake(tlsAddr, name, roots)
		if err != nil {
			t.Fatalf("a handshake failed while the new manager took over: %v", err)
		}
		if leaf.SerialNumber.Cmp(first.SerialNumber) != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no certificate from the new storage within 20 s; brick's log:\n%s", b.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitOutput(t, "brick's log", b.output, "a new certificate manager takes over")
	var stored []string
	filepath.WalkDir(newStore, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, name+".crt") {
			stored = append(stored, path)
		}
		return nil
	})
	if len(stored) == 0 {
		t.Fatalf("the new storage %s holds no certificate for %s", newStore, name)
	}
}
