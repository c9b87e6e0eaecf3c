package certs_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/certs"
	"github.com/brick-server/brick/internal/testutil"
)

// serveTLS answers every connection on a loopback listener with one line
// over TLS, taking certificates from s; it returns the address.
func serveTLS(t *testing.T, s *certs.Store) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", s.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestInternalCA: a store with internal sites serves certificates from the
// internal CA that Go's client, curl and openssl verify against its root,
// for the sites' names only; a second start reuses the root.
func TestInternalCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	s := &certs.Store{PKIDir: dir}
	srcs := []certs.Source{
		{Hosts: []string{"a.test", "*.b.test"}, Internal: true},
		{Internal: true}, // no hosts: this machine's names
	}
	if err := s.Load(srcs); err != nil {
		t.Fatal(err)
	}
	ca := s.InternalCA()
	if ca == nil || ca.RootPath() != filepath.Join(dir, certs.RootCertFile) {
		t.Fatalf("internal CA %v, want its root in %s", ca, dir)
	}
	if fi, err := os.Stat(filepath.Join(dir, certs.RootKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("root key: %v %v, want mode 0600", fi, err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root())
	addr := serveTLS(t, s)

	tests := []struct {
		name, sni string
		ok        bool
	}{
		{"site host", "a.test", true},
		{"under a wildcard host", "www.b.test", true},
		{"wildcard is one label", "x.www.b.test", false},
		{"localhost", "localhost", true},
		{"no SNI, loopback address", "", true},
		{"unknown name", "c.test", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: pool, ServerName: tc.sni}
			if tc.sni == "" {
				cfg.ServerName = "127.0.0.1" // verified against, not sent
			}
			if !tc.ok {
				cfg.InsecureSkipVerify = true // refused by the server, not the client
			}
			c, err := tls.Dial("tcp", addr, cfg)
			if !tc.ok {
				if err == nil {
					c.Close()
					t.Fatal("handshake succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			leaf := c.ConnectionState().PeerCertificates[0]
			if life := leaf.NotAfter.Sub(leaf.NotBefore); life > certs.LeafLifetime+time.Hour {
				t.Errorf("leaf valid for %v, want at most %v", life, certs.LeafLifetime)
			}
		})
	}

	root, err := os.ReadFile(ca.RootPath())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("curl", func(t *testing.T) {
		curl := testutil.LookPath(t, "curl")
		_, port, _ := net.SplitHostPort(addr)
		out, err := exec.Command(curl, "-sS", "--cacert", ca.RootPath(), "--resolve", "a.test:"+port+":127.0.0.1",
			"https://a.test:"+port+"/").CombinedOutput()
		if err != nil || string(out) != "ok" {
			t.Fatalf("curl: %v %s", err, out)
		}
	})
	t.Run("openssl", func(t *testing.T) {
		openssl := testutil.LookPath(t, "openssl")
		cmd := exec.Command(openssl, "s_client", "-connect", addr, "-servername", "www.b.test",
			"-verify_hostname", "www.b.test", "-verify_return_error", "-CAfile", ca.RootPath())
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("Verify return code: 0 (ok)")) {
			t.Fatalf("openssl s_client: %v\n%s", err, out)
		}
	})

	t.Run("second start reuses the root", func(t *testing.T) {
		again, err := certs.OpenInternalCA(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Root().Raw, ca.Root().Raw) {
			t.Fatal("a second start made another root")
		}
		if got, _ := os.ReadFile(again.RootPath()); !bytes.Equal(got, root) {
			t.Fatal("the root file changed")
		}
	})
}

// TestInternalCARenews: a leaf is served from memory while it has more
// than a third of its life left, and issued again after.
func TestInternalCARenews(t *testing.T) {
	ca, err := certs.OpenInternalCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	certs.SetClock(ca, func() time.Time { return now })
	first, err := ca.Certificate("a.test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		after time.Duration
		same  bool
	}{
		{"fresh", time.Hour, true},
		{"half its life", certs.LeafLifetime / 2, true},
		{"last third", certs.LeafLifetime * 2 / 3, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certs.SetClock(ca, func() time.Time { return now.Add(tc.after) })
			got, err := ca.Certificate("a.test")
			if err != nil {
				t.Fatal(err)
			}
			if (got == first) != tc.same {
				t.Fatalf("after %v: same leaf %v, want %v", tc.after, got == first, tc.same)
			}
			if !tc.same && !got.Leaf.NotAfter.After(first.Leaf.NotAfter) {
				t.Fatalf("renewed leaf expires %v, not after %v", got.Leaf.NotAfter, first.Leaf.NotAfter)
			}
		})
	}
}

// TestInternalCASharedStart: instances starting together on one
// directory end up with one root.
func TestInternalCASharedStart(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	roots := make(chan []byte, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			ca, err := certs.OpenInternalCA(dir)
			if err != nil {
				errs <- err
				return
			}
			roots <- ca.Root().Raw
		}()
	}
	var first []byte
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case r := <-roots:
			if first == nil {
				first = r
			} else if !bytes.Equal(r, first) {
				t.Fatal("two roots for one directory")
			}
		}
	}
}
