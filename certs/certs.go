// Package certs holds the certificates Brick serves over HTTPS and picks
// one per handshake by the name the client asks for (SNI).
//
// A site's certificate answers for the site's hosts; the default site's
// (the one without hosts, as `brick -tls-cert c.pem -tls-key k.pem DIR`
// makes) answers for the names its certificate itself covers. A name no
// certificate is configured for fails the handshake: no fallback
// certificate tells a scanner which other names the server holds. A
// client that sends no name at all (an IP address in the URL, old
// clients) gets the one certificate when exactly one is configured, and
// fails otherwise, for the same reason.
//
// A site whose certificates are obtained automatically (ACME) has an
// Issuer instead of files: the Store hands the handshakes for its names to
// the issuer, which fails those it has no certificate for yet, and answers
// the CA's TLS-ALPN-01 challenge (RFC 8737): a ClientHello offering only
// the "acme-tls/1" protocol gets the issuer's challenge certificate.
//
// A site with tls = "internal" gets its certificates from Brick's own CA
// (InternalCA, internal.go), issued at the handshake for the name asked,
// when that name is one of the site's hosts (localhost and the loopback
// addresses for a site without hosts).
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
)

// Files is a site's certificate and key, PEM files as certbot and most
// CAs write them: the certificate file may hold the chain after the leaf.
type Files struct {
	Cert string
	Key  string
}

// Source is one certificate to serve and the names it answers for.
type Source struct {
	// Hosts are the site's names: exact ("example.com") or one wildcard
	// label ("*.example.com"). Empty for the default site, whose
	// certificate answers for the names it covers.
	Hosts []string
	Files Files
	// Issuer, when set, gives the certificates of Hosts instead of Files.
	Issuer Issuer
	// Internal takes the certificates from the internal CA instead of
	// Files.
	Internal bool
}

// Issuer gives certificates it obtains and renews itself (ACME): its
// GetCertificate is tls.Config's, and also answers a TLS-ALPN-01
// challenge's ClientHello with the challenge certificate.
type Issuer interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// ACMETLS1 is the ALPN protocol of the TLS-ALPN-01 challenge (RFC 8737).
const ACMETLS1 = "acme-tls/1"

// internalDefaults are the names an internal site without hosts answers
// for: this machine's own.
var internalDefaults = []string{"localhost", "127.0.0.1", "::1"}

// LoadPair reads a certificate and its key and checks that they belong
// together; the error says which file is at fault and what to do.
func LoadPair(f Files) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(f.Cert)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(f.Key)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	kp, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, fmt.Errorf("the key in %s is not the key of the certificate in %s; give the key the certificate was issued for", f.Key, f.Cert)
		}
		return nil, fmt.Errorf("%s and %s: %w (give a PEM certificate and its PEM private key)", f.Cert, f.Key, err)
	}
	return &kp, nil
}

// Uncovered returns the hosts the certificate does not cover: clients
// asking for them would refuse it. A wildcard host must be covered by
// the same wildcard.
func Uncovered(kp *tls.Certificate, hosts []string) []string {
	leaf := kp.Leaf
	var bad []string
	for _, h := range hosts {
		name := strings.Trim(h, "[]")
		if rest, ok := strings.CutPrefix(name, "*."); ok {
			// Covered only by "*.rest" itself: VerifyHostname of a
			// name under it checks exactly that.
			name = "brick-wildcard-check." + rest
		}
		if leaf == nil || leaf.VerifyHostname(name) != nil {
			bad = append(bad, h)
		}
	}
	return bad
}

// names are the names a certificate covers, for a default site.
func names(leaf *x509.Certificate) []string {
	out := append([]string(nil), leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// table is one loaded set of certificates.
type table struct {
	byName map[string]*tls.Certificate // exact names and "*.suffix"
	only   *tls.Certificate            // the one certificate, if exactly one
	issued map[string]Issuer           // names an issuer answers for
	// internal are the names (exact and "*.suffix") ca issues for.
	internal map[string]bool
	ca       *InternalCA
}

// Store serves certificates by SNI; Load replaces them all at once, so
// a reload (SIGHUP) takes effect on the next handshake without a
// restart. Its methods are safe for concurrent use.
type Store struct {
	// PKIDir is the internal CA's directory, opened at the first Load
	// with an internal source (and again when it changes);
	// DefaultPKIDir() when empty.
	PKIDir string

	cur atomic.Pointer[table]
	ca  *InternalCA // kept across loads
}

// InternalCA is the internal CA the store issues from, nil until a Load
// with an internal source.
func (s *Store) InternalCA() *InternalCA {
	if t := s.cur.Load(); t != nil {
		return t.ca
	}
	return nil
}

// openCA opens the internal CA in PKIDir, once per directory.
func (s *Store) openCA() (*InternalCA, error) {
	dir := s.PKIDir
	if dir == "" {
		var err error
		if dir, err = DefaultPKIDir(); err != nil {
			return nil, err
		}
	}
	if s.ca != nil && s.ca.dir == dir {
		return s.ca, nil
	}
	ca, err := OpenInternalCA(dir)
	if err != nil {
		return nil, err
	}
	s.ca = ca
	return ca, nil
}

// Load reads every source's files and swaps them in; on any error the
// store keeps what it served before. Load is not safe for concurrent
// use with itself.
func (s *Store) Load(srcs []Source) error {
	t := &table{byName: map[string]*tls.Certificate{}, issued: map[string]Issuer{}, internal: map[string]bool{}}
	var errs []error
	distinct := map[*tls.Certificate]bool{}
	for _, src := range srcs {
		if src.Issuer != nil {
			for _, h := range src.Hosts {
				t.issued[strings.ToLower(h)] = src.Issuer
			}
			continue
		}
		if src.Internal {
			ca, err := s.openCA()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t.ca = ca
			hosts := internalDefaults
			if len(src.Hosts) > 0 && !slices.Equal(src.Hosts, []string{"*"}) {
				hosts = src.Hosts
			}
			for _, h := range hosts {
				if h = normalize(h); h != "*" && t.byName[h] == nil {
					t.internal[h] = true
				}
			}
			continue
		}
		kp, err := LoadPair(src.Files)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		distinct[kp] = true
		hosts := src.Hosts
		if len(hosts) == 0 {
			hosts = names(kp.Leaf)
		}
		for _, h := range hosts {
			h = normalize(h)
			if _, taken := t.byName[h]; !taken && !t.internal[h] {
				t.byName[h] = kp
			}
		}
		t.only = kp
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(distinct) != 1 || len(t.issued) > 0 || len(t.internal) > 0 {
		// (An issuer's names count as certificates of their own.)
		t.only = nil
	}
	s.cur.Store(t)
	return nil
}

// normalize is a host as the table keys it: lower case, IPv6 without
// brackets, IP addresses in their canonical form.
func normalize(h string) string {
	h = strings.ToLower(strings.Trim(h, "[]"))
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// GetCertificate is tls.Config's: the certificate for the client's SNI
// name, or an error that fails the handshake.
func (s *Store) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	t := s.cur.Load()
	if t == nil {
		return nil, errors.New("certs: no certificates loaded")
	}
	name := normalize(strings.TrimSuffix(hello.ServerName, "."))
	if name == "" {
		if t.only != nil {
			return t.only, nil
		}
		// A client given an address sends no name: the internal CA
		// answers for the address the client reached, if a site has it.
		if t.ca != nil && hello.Conn != nil {
			if a, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok && t.internal[a.IP.String()] {
				return t.ca.Certificate(a.IP.String())
			}
		}
		return nil, errors.New("certs: the client sent no server name (SNI), and several certificates are served")
	}
	if kp := t.byName[name]; kp != nil {
		return kp, nil
	}
	if is := t.issued[name]; is != nil {
		return is.GetCertificate(hello)
	}
	if t.internal[name] {
		return t.ca.Certificate(name)
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if kp := t.byName["*"+name[i:]]; kp != nil {
			return kp, nil
		}
		if t.internal["*"+name[i:]] {
			return t.ca.Certificate(name)
		}
	}
	return nil, fmt.Errorf("certs: no certificate for %q", hello.ServerName)
}

// TLSConfig is a server configuration that takes its certificates from
// the store; the engine (server.ServeTLS) adds the protocol versions,
// cipher suites and ALPN. A TLS-ALPN-01 challenge for a name an issuer
// answers for gets a configuration of its own, whose only protocol is
// ACMETLS1.
func (s *Store) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetCertificate:     s.GetCertificate,
		GetConfigForClient: s.configForClient,
	}
}

// configForClient answers the CA's TLS-ALPN-01 validation: a ClientHello
// with a server name that offers ACMETLS1 alone. Every other ClientHello
// keeps the listener's configuration (nil).
func (s *Store) configForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if len(hello.SupportedProtos) != 1 || hello.SupportedProtos[0] != ACMETLS1 || hello.ServerName == "" {
		return nil, nil
	}
	t := s.cur.Load()
	if t == nil {
		return nil, nil
	}
	is := t.issued[strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))]
	if is == nil {
		return nil, fmt.Errorf("certs: a TLS-ALPN-01 challenge for %q, which no issuer answers for", hello.ServerName)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{ACMETLS1}, GetCertificate: is.GetCertificate}, nil
}
