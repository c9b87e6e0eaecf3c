package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The internal CA (tls = "internal") is a certificate authority of
// Brick's own for development and private names, as Caddy's `tls
// internal`: a root made once and kept in a directory, which the user
// trusts once (curl --cacert, the system's trust store), and leaf
// certificates issued from it on demand, per name a client asks for,
// only for the names of the sites that use it.
//
// The root signs the leaves itself: with no intermediate there is one
// key to keep and one file to trust. Its key never leaves the
// directory (0700, the key 0600). Leaves are short-lived (LeafLifetime)
// and kept in memory only: one is issued again once two thirds of its
// life have passed, at the handshake that finds it old, so a server
// running for weeks never serves an expired one and needs no timer.

// RootCertFile and RootKeyFile are the internal CA's files in its
// directory; RootCertFile is the one clients trust.
const (
	RootCertFile = "root.crt"
	RootKeyFile  = "root.key"
)

// LeafLifetime is how long an internally issued certificate is valid.
const LeafLifetime = 7 * 24 * time.Hour

// rootLifetime is the root's validity: it is trusted by hand, so it must
// outlast any development setup.
const rootLifetime = 10 * 365 * 24 * time.Hour

// maxLeaves bounds the leaves kept in memory: a wildcard host lets a
// client name any number of subdomains.
const maxLeaves = 1024

// DefaultPKIDir is where the internal CA lives when no directory is
// configured: $XDG_DATA_HOME/brick/pki, or ~/.local/share/brick/pki.
func DefaultPKIDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "brick", "pki"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("the internal CA needs a directory: set XDG_DATA_HOME or HOME (%w)", err)
	}
	return filepath.Join(home, ".local", "share", "brick", "pki"), nil
}

// InternalCA issues certificates from a root kept in a directory. Its
// methods are safe for concurrent use.
type InternalCA struct {
	dir  string
	root *x509.Certificate
	key  crypto.Signer
	now  func() time.Time

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// OpenInternalCA loads the CA kept in dir, or makes one there when dir
// holds none; a second start, or another instance sharing dir, uses the
// same root, so that what was trusted once stays trusted.
func OpenInternalCA(dir string) (*InternalCA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("internal CA: %w (give a writable directory)", err)
	}
	ca := &InternalCA{dir: dir, now: time.Now, leaves: map[string]*tls.Certificate{}}
	err := ca.load()
	if errors.Is(err, fs.ErrNotExist) {
		err = ca.create()
	}
	if err != nil {
		return nil, err
	}
	return ca, nil
}

// RootPath is the root certificate's file, for clients to trust.
func (ca *InternalCA) RootPath() string { return filepath.Join(ca.dir, RootCertFile) }

// Root is the root certificate.
func (ca *InternalCA) Root() *x509.Certificate { return ca.root }

// TrustHint says how to make clients trust the root.
func (ca *InternalCA) TrustHint() string {
	p := ca.RootPath()
	return fmt.Sprintf("curl --cacert %s https://...; system-wide (Debian): sudo cp %s /usr/local/share/ca-certificates/brick-internal.crt && sudo update-ca-certificates", p, p)
}

// load reads the root and its key; fs.ErrNotExist when there is no key
// yet. A key without its certificate is another instance making them
// (create writes the key first): load waits for it a little.
func (ca *InternalCA) load() error {
	keyPEM, err := os.ReadFile(filepath.Join(ca.dir, RootKeyFile))
	if err != nil {
		return err
	}
	var certPEM []byte
	for range 50 {
		if certPEM, err = os.ReadFile(ca.RootPath()); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("internal CA: %s exists but its certificate does not: %w (remove %s to make a new CA)", RootKeyFile, err, ca.dir)
	}
	kp, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("internal CA in %s: %w (remove the directory to make a new CA)", ca.dir, err)
	}
	signer, ok := kp.PrivateKey.(crypto.Signer)
	if !ok || !kp.Leaf.IsCA {
		return fmt.Errorf("internal CA in %s: %s is not a CA certificate (remove the directory to make a new CA)", ca.dir, RootCertFile)
	}
	ca.root, ca.key = kp.Leaf, signer
	return nil
}

// create makes a root and writes it. The key is linked into place, which
// fails if another instance got there first: that one's root is then
// the CA.
func (ca *InternalCA) create() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("Brick internal CA (%s, %d)", host, now.Year()), Organization: []string{"Brick internal CA"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(rootLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := placeFile(ca.dir, RootKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ca.load()
		}
		return fmt.Errorf("internal CA: %w", err)
	}
	if err := placeFile(ca.dir, RootCertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("internal CA: %w", err)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	ca.root, ca.key = root, key
	return nil
}

// placeFile writes data to dir/name whole or not at all: a temporary
// file, linked to its name, which fails with fs.ErrExist if the name is
// taken.
func placeFile(dir, name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Link(f.Name(), filepath.Join(dir, name))
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n.Add(n, big.NewInt(1))
}

// Certificate is a leaf for name (a DNS name or an IP address), from
// memory while it has more than a third of its life left, otherwise
// issued now. The caller decides which names the CA may issue for.
func (ca *InternalCA) Certificate(name string) (*tls.Certificate, error) {
	name = strings.ToLower(name)
	ca.mu.Lock()
	defer ca.mu.Unlock()
	now := ca.now()
	if c := ca.leaves[name]; c != nil && now.Before(c.Leaf.NotAfter.Add(-LeafLifetime/3)) {
		return c, nil
	}
	c, err := ca.issue(name, now)
	if err != nil {
		return nil, err
	}
	if len(ca.leaves) >= maxLeaves {
		clear(ca.leaves)
	}
	ca.leaves[name] = c
	return c, nil
}

// issue signs a fresh key for name, valid for LeafLifetime from now (an
// hour earlier, for clocks a little behind).
func (ca *InternalCA) issue(name string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(LeafLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.root, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("internal CA: issuing for %q: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
