package certs_test

import (
	"crypto/tls"
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
