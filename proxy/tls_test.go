package proxy_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/proxy"
)

// tlsUpstream is a net/http server over TLS with a certificate of ca for
// "localhost": it answers with the SNI name it was given and counts its
// connections.
type tlsUpstream struct {
	port  string
	mu    sync.Mutex
	conns int
}

func startTLSUpstream(t *testing.T, ca *testutil.CA) *tlsUpstream {
	t.Helper()
	u := &tlsUpstream{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "sni=%s path=%s proto=%s", r.TLS.ServerName, r.URL.Path, r.Proto)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.KeyPair(t, "localhost")}}
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			u.mu.Lock()
			u.conns++
			u.mu.Unlock()
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, u.port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return u
}

func (u *tlsUpstream) connections() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conns
}

// TestHTTPSUpstream: an https upstream is reached over TLS with its host
// as SNI, its certificate checked against the ca file (or the system's
// roots), kept-alive connections reused; tls_insecure_skip_verify takes
// any certificate and says so in the log.
func TestHTTPSUpstream(t *testing.T) {
	ca := testutil.NewCA(t)
	caFile := ca.WriteRoot(t, t.TempDir())
	other := testutil.NewCA(t)
	otherFile := other.WriteRoot(t, t.TempDir())
	up := startTLSUpstream(t, ca)
	tests := []struct {
		name     string
		host     string // the upstream's host in to
		ca       string
		insecure bool
		status   int
		body     string
		log      string
	}{
		{"ca file", "localhost", caFile, false, 200, "sni=localhost path=/x proto=HTTP/1.1", ""},
		{"system roots", "localhost", "", false, 502, "", "certificate signed by unknown authority"},
		{"another CA", "localhost", otherFile, false, 502, "", "certificate signed by unknown authority"},
		{"name not in the certificate", "127.0.0.1", caFile, false, 502, "", "doesn't contain any IP SANs"},
		{"insecure", "127.0.0.1", "", true, 200, "sni= path=/x proto=HTTP/1.1", "tls_insecure_skip_verify is on"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			c := config("https://" + net.JoinHostPort(tc.host, up.port))
			c.CA, c.TLSInsecureSkipVerify = tc.ca, tc.insecure
			c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
			c.MaxFails = 0
			addr, _ := serve(t, c)
			before := up.connections()
			for range 3 {
				res := get(t, addr, "/x")
				if res.Status != tc.status || tc.status == 200 && string(res.Body) != tc.body {
					t.Fatalf("status %d body %q, want %d %q", res.Status, res.Body, tc.status, tc.body)
				}
			}
			mu.Lock()
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log %q does not say %q", logs.String(), tc.log)
			}
			mu.Unlock()
			if n := up.connections() - before; tc.status == 200 && n != 1 {
				t.Errorf("%d connections for 3 requests, want 1 kept alive", n)
			}
		})
	}
}

// TestHTTPSHealthCheck: the active check of an https upstream runs over
// TLS too, and fails when the certificate does not verify.
func TestHTTPSHealthCheck(t *testing.T) {
	ca := testutil.NewCA(t)
	up := startTLSUpstream(t, ca)
	tests := []struct {
		name    string
		ca      string
		healthy bool
	}{
		{"verified", ca.WriteRoot(t, t.TempDir()), true},
		{"unverified", testutil.NewCA(t).WriteRoot(t, t.TempDir()), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config("https://localhost:" + up.port)
			c.CA = tc.ca
			c.HealthURI, c.HealthInterval = "/health", 2*time.Second // also the check's timeout
			_, h := serve(t, c)
			deadline := time.Now().Add(5 * time.Second)
			for {
				s := h.Stats()[0]
				if !s.Checked.IsZero() {
					if s.Healthy != tc.healthy {
						t.Fatalf("healthy %v (%q), want %v", s.Healthy, s.CheckError, tc.healthy)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatal("no health check in 5 s")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestConfigTLS: the CA file must exist and hold a certificate.
func TestConfigTLS(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ca, want string
	}{
		{"missing", filepath.Join(dir, "none.pem"), "no such file"},
		{"not PEM", junk, "holds no PEM certificate"},
	}
	for _, tc := range tests {
		c := config("https://localhost:1")
		c.CA = tc.ca
		if _, err := proxy.New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
