package certs_test

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/brick-server/brick/certs"
	"github.com/brick-server/brick/internal/testutil"
)

// TestGetCertificate: SNI picks the site's certificate; a name no site
// has, and no name while several certificates are served, fail.
func TestGetCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	aCert, aKey := ca.IssueFiles(t, dir, "a-", "a.test", "*.a.test")
	dCert, dKey := ca.IssueFiles(t, dir, "d-", "default.test", "127.0.0.1")
	var s certs.Store
	if _, err := s.GetCertificate(&tls.ClientHelloInfo{ServerName: "a.test"}); err == nil {
		t.Fatal("an empty store gave a certificate")
	}
	one := []certs.Source{{Files: certs.Files{Cert: dCert, Key: dKey}}}
	both := append([]certs.Source{{Hosts: []string{"a.test", "*.a.test"}, Files: certs.Files{Cert: aCert, Key: aKey}}}, one...)
	tests := []struct {
		name   string
		srcs   []certs.Source
		sni    string
		wantCN string // "" for a failed handshake
	}{
		{"exact", both, "a.test", "a.test"},
		{"case and trailing dot", both, "A.Test.", "a.test"},
		{"wildcard", both, "www.a.test", "a.test"},
		{"wildcard is one label", both, "x.www.a.test", ""},
		{"default site by its certificate's names", both, "default.test", "default.test"},
		{"unknown name", both, "other.test", ""},
		{"no SNI, several certificates", both, "", ""},
		{"no SNI, one certificate", one, "", "default.test"},
		{"unknown name, one certificate", one, "other.test", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Load(tc.srcs); err != nil {
				t.Fatal(err)
			}
			kp, err := s.GetCertificate(&tls.ClientHelloInfo{ServerName: tc.sni})
			if tc.wantCN == "" {
				if err == nil {
					t.Fatalf("gave the certificate of %q", kp.Leaf.Subject.CommonName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cn := kp.Leaf.Subject.CommonName; cn != tc.wantCN {
				t.Fatalf("certificate of %q, want %q", cn, tc.wantCN)
			}
		})
	}
	// A failed load keeps what was served.
	if err := s.Load([]certs.Source{{Files: certs.Files{Cert: aCert, Key: dKey}}}); err == nil || !strings.Contains(err.Error(), "is not the key of the certificate") {
		t.Fatalf("mismatched pair: %v", err)
	}
	if _, err := s.GetCertificate(&tls.ClientHelloInfo{ServerName: "unknown.test"}); err == nil {
		t.Fatal("the failed load changed the store")
	}
	if kp, err := s.GetCertificate(&tls.ClientHelloInfo{}); err != nil || kp.Leaf.Subject.CommonName != "default.test" {
		t.Fatalf("after a failed load: %v", err)
	}
}

// issuerFunc is an Issuer for the store's routing; the real one (package
// acme) is tested against a real CA.
type issuerFunc func(*tls.ClientHelloInfo) (*tls.Certificate, error)

func (f issuerFunc) GetCertificate(h *tls.ClientHelloInfo) (*tls.Certificate, error) { return f(h) }

// TestIssuerSources: an issuer's names go to the issuer, which may fail
// them (no certificate yet); a TLS-ALPN-01 ClientHello for them gets a
// configuration offering acme-tls/1 alone; other names are untouched.
func TestIssuerSources(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	aCert, aKey := ca.IssueFiles(t, dir, "a-", "a.test")
	issued, err := certs.LoadPair(certs.Files{Cert: aCert, Key: aKey})
	if err != nil {
		t.Fatal(err)
	}
	fCert, fKey := ca.IssueFiles(t, dir, "f-", "files.test")
	iss := issuerFunc(func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if strings.EqualFold(strings.TrimSuffix(h.ServerName, "."), "auto.test") {
			return issued, nil
		}
		return nil, errors.New("not yet")
	})
	var s certs.Store
	if err := s.Load([]certs.Source{
		{Hosts: []string{"auto.test", "pending.test"}, Issuer: iss},
		{Hosts: []string{"files.test"}, Files: certs.Files{Cert: fCert, Key: fKey}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sni, wantCN string
	}{{"auto.test", "a.test"}, {"AUTO.test.", "a.test"}, {"pending.test", ""}, {"files.test", "files.test"}, {"", ""}, {"other.test", ""}} {
		kp, err := s.GetCertificate(&tls.ClientHelloInfo{ServerName: tc.sni})
		switch {
		case tc.wantCN == "" && err == nil:
			t.Errorf("%q: gave %q", tc.sni, kp.Leaf.Subject.CommonName)
		case tc.wantCN != "" && (err != nil || kp.Leaf.Subject.CommonName != tc.wantCN):
			t.Errorf("%q: %v, want %q", tc.sni, err, tc.wantCN)
		}
	}
	cfg := s.TLSConfig()
	for _, tc := range []struct {
		name   string
		hello  tls.ClientHelloInfo
		own    bool
		failed bool
	}{
		{"challenge", tls.ClientHelloInfo{ServerName: "pending.test", SupportedProtos: []string{certs.ACMETLS1}}, true, false},
		{"challenge for a files site", tls.ClientHelloInfo{ServerName: "files.test", SupportedProtos: []string{certs.ACMETLS1}}, false, true},
		{"acme-tls/1 among others", tls.ClientHelloInfo{ServerName: "auto.test", SupportedProtos: []string{"http/1.1", certs.ACMETLS1}}, false, false},
		{"browser", tls.ClientHelloInfo{ServerName: "auto.test", SupportedProtos: []string{"h2", "http/1.1"}}, false, false},
	} {
		c, err := cfg.GetConfigForClient(&tc.hello)
		if (err != nil) != tc.failed || (c != nil) != tc.own {
			t.Errorf("%s: config %v, err %v", tc.name, c != nil, err)
			continue
		}
		if c != nil && (len(c.NextProtos) != 1 || c.NextProtos[0] != certs.ACMETLS1) {
			t.Errorf("%s: protocols %v", tc.name, c.NextProtos)
		}
	}
}
