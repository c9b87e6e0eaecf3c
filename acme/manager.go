package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"github.com/mholt/acmez/v3/acme"
)

// Config is how certificates are obtained: the [tls] table.
type Config struct {
	// Email is the ACME account's contact; may be empty.
	Email string
	// CA is the ACME directory URL.
	CA string
	// CARoot is a PEM file of roots to trust for the CA's own HTTPS;
	// empty for the system's.
	CARoot string
	// Storage is the directory of the account, keys, certificates and
	// lock files; empty for DefaultStorage().
	Storage string
	// RenewInterval is how often the certificates are checked for
	// renewal and their OCSP staples refreshed.
	RenewInterval time.Duration
	// HTTP01 and TLSALPN01 offer those challenge types to the CA (each
	// also needs its listener, given to Manage).
	HTTP01, TLSALPN01 bool
	// ZeroSSLAPIKey, when set, adds ZeroSSL (through its API, the way
	// certmagic supports it) as the issuer tried when CA fails. ZeroSSL
	// validates names over plain HTTP only: it needs the plain listener.
	ZeroSSLAPIKey string
	// Logger receives what happens; certmagic's own messages at debug
	// level.
	Logger *slog.Logger
}

// Manager obtains and renews certificates for names, and answers the
// CA's challenges and the handshakes for them.
type Manager struct {
	log     *slog.Logger
	conf    Config
	cache   *certmagic.Cache
	cfg     *certmagic.Config
	issuer  *certmagic.ACMEIssuer
	zerossl *certmagic.ZeroSSLIssuer // nil without an API key
	storage string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	managed map[string]*managed // the names Manage was last given
	started bool

	failures atomic.Uint64
	stop     sync.Once
	prev     atomic.Pointer[Manager] // see Follow
}

// New makes a Manager; nothing is obtained before Manage.
func New(c Config) (*Manager, error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	storage := c.Storage
	if storage == "" {
		storage = DefaultStorage()
	}
	if err := os.MkdirAll(storage, 0o700); err != nil {
		return nil, fmt.Errorf("certificate storage: %w (set [tls] storage, or -storage, to a directory Brick can write)", err)
	}
	var roots *x509.CertPool
	if c.CARoot != "" {
		pem, err := os.ReadFile(c.CARoot)
		if err != nil {
			return nil, fmt.Errorf("acme_ca_root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("acme_ca_root: %s holds no PEM certificate; give the CA's root certificate in PEM", c.CARoot)
		}
	}
	m := &Manager{log: log, conf: c, storage: storage, managed: map[string]*managed{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	zl := zapLogger(log)
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.cfg, nil },
		RenewCheckInterval: c.RenewInterval,
		OCSPCheckInterval:  c.RenewInterval,
		Logger:             zl,
	})
	m.cfg = certmagic.New(m.cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: storage},
		Logger:  zl,
		OnEvent: m.onEvent,
	})
	m.issuer = certmagic.NewACMEIssuer(m.cfg, certmagic.ACMEIssuer{
		CA:     c.CA,
		Email:  c.Email,
		Agreed: true, // tls = "auto" is the operator's agreement to the CA's terms (README)
		// Until Manage knows Brick's listeners, no challenge can be
		// answered: none is offered, so no solver may start one.
		DisableHTTPChallenge:    true,
		DisableTLSALPNChallenge: true,
		TrustedRoots:            roots,
		Logger:                  zl,
	})
	m.cfg.Issuers = []certmagic.Issuer{quiet{m.issuer}}
	if c.ZeroSSLAPIKey != "" {
		m.zerossl = &certmagic.ZeroSSLIssuer{APIKey: c.ZeroSSLAPIKey, Storage: m.cfg.Storage, Logger: zl}
	}
	return m, nil
}

// quiet is the ACME issuer with its pre-check never interactive: on a
// first, synchronous obtain without an email, certmagic would otherwise
// prompt for one on the terminal. Its other methods are the issuer's
// (GetRenewalInfo too, so ACME renewal information still times renewals);
// what the wrapper costs is the "replaces" field of a renewal's order,
// which certmagic sets only for its own *ACMEIssuer type.
type quiet struct{ *certmagic.ACMEIssuer }

func (q quiet) PreCheck(ctx context.Context, names []string, _ bool) error {
	return q.ACMEIssuer.PreCheck(ctx, names, false)
}

// Storage is the directory in use.
func (m *Manager) Storage() string { return m.storage }

// GetCertificate is tls.Config's for the managed names (certmagic's): the
// certificate obtained for the name, the challenge certificate for a
// TLS-ALPN-01 validation, or an error that fails the handshake.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	cert, err := m.cfg.GetCertificate(hello)
	if err == nil {
		return cert, nil
	}
	if prev := m.prev.Load(); prev != nil && !slices.Contains(hello.SupportedProtos, acmez.ACMETLS1Protocol) {
		if c, perr := prev.cfg.GetCertificate(hello); perr == nil {
			return c, nil
		}
	}
	return cert, err
}

// Follow makes m, which takes over from prev (a reload changed [tls]),
// answer a handshake with prev's certificate while it has none of its own
// for the name yet: loading it from storage takes a moment, and a new
// storage or CA means a new order. prev stops renewing (Stop) but keeps
// its certificates. Once m is in force, DropFallback on prev keeps only
// one step back, so a chain of reloads holds at most two managers.
func (m *Manager) Follow(prev *Manager) {
	m.prev.Store(prev)
}

// DropFallback forgets the manager m itself followed: m has been replaced
// in turn. (Not done in Follow: a reload refused after preparing the new
// manager keeps m, fallback and all.)
func (m *Manager) DropFallback() {
	m.prev.Store(nil)
}

// managed is one name's place in the Manager: cancelling ctx stops its
// obtain loop.
type managed struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Manage obtains and renews certificates for names, in the background.
// httpAddr and tlsAddr are where Brick's own plain and TLS listeners are
// bound (host:port, as bound: a port 0 resolved); "" for none, which
// turns that challenge type off. The first call fixes them. Later calls
// (a reload) give the whole set again: new names are added, and names no
// longer in it are released, so that nothing keeps renewing a
// certificate no site uses (its files stay in storage).
func (m *Manager) Manage(names []string, httpAddr, tlsAddr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx.Err() != nil {
		return nil // stopped: shutting down
	}
	if !m.started {
		if err := m.listeners(httpAddr, tlsAddr); err != nil {
			return err
		}
		m.started = true
	}
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
		if m.managed[n] != nil {
			continue
		}
		ctx, cancel := context.WithCancel(m.ctx)
		e := &managed{ctx: ctx, cancel: cancel}
		m.managed[n] = e
		m.wg.Add(1)
		go m.obtain(ctx, n, e)
	}
	for n, e := range m.managed {
		if !keep[n] {
			m.releaseLocked(n, e)
		}
	}
	return nil
}

// releaseLocked stops obtaining and renewing name; m.mu is held.
func (m *Manager) releaseLocked(name string, e *managed) {
	e.cancel()
	delete(m.managed, name)
	m.cache.RemoveManaged([]certmagic.SubjectIssuer{{Subject: name}})
	m.log.Info("certificate no longer managed: no site uses the name", "name", name)
}

// listeners tells the issuer where Brick answers each challenge, so that
// certmagic's solvers find those ports taken and start no listener.
func (m *Manager) listeners(httpAddr, tlsAddr string) error {
	iss := m.issuer
	port := func(addr string) (string, int, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return "", 0, err
		}
		n, err := strconv.Atoi(p)
		return host, n, err
	}
	if m.conf.HTTP01 && httpAddr != "" {
		host, p, err := port(httpAddr)
		if err != nil {
			return fmt.Errorf("acme: plain listener %q: %w", httpAddr, err)
		}
		iss.ListenHost, iss.AltHTTPPort, iss.DisableHTTPChallenge = host, p, false
	}
	if m.conf.TLSALPN01 && tlsAddr != "" {
		host, p, err := port(tlsAddr)
		if err != nil {
			return fmt.Errorf("acme: TLS listener %q: %w", tlsAddr, err)
		}
		if iss.DisableHTTPChallenge {
			iss.ListenHost = host
		}
		iss.AltTLSALPNPort, iss.DisableTLSALPNChallenge = p, false
		if !iss.DisableHTTPChallenge && host != iss.ListenHost {
			// One ListenHost serves both solvers; a different host for
			// the TLS listener would let certmagic bind a port of its own.
			m.log.Warn("the plain and TLS listeners are on different hosts; TLS-ALPN-01 is off, HTTP-01 answers the CA", "http", httpAddr, "tls", tlsAddr)
			iss.DisableTLSALPNChallenge = true
		}
	}
	if iss.DisableHTTPChallenge && iss.DisableTLSALPNChallenge {
		return errors.New("acme: no listener can answer the CA's challenges: give a plain listener for HTTP-01 or a TLS one for TLS-ALPN-01")
	}
	if z := m.zerossl; z != nil {
		if httpAddr == "" {
			m.log.Warn("ZeroSSL validates names over plain HTTP, and there is no plain listener: it is not used as the fallback issuer")
			return nil
		}
		host, p, err := port(httpAddr)
		if err != nil {
			return fmt.Errorf("acme: plain listener %q: %w", httpAddr, err)
		}
		// As for the ACME issuer: ZeroSSL's solver finds Brick's port
		// taken and starts no listener; the plain listener answers.
		z.ListenHost, z.AltHTTPPort = host, p
		m.cfg.Issuers = append(m.cfg.Issuers, z)
	}
	return nil
}

// obtain gets name's certificate (from storage, or from the CA), retrying
// until it has one; certmagic's maintenance renews it from then on.
func (m *Manager) obtain(ctx context.Context, name string, e *managed) {
	defer m.wg.Done()
	attempts := 0
	ctx = context.WithValue(ctx, certmagic.AttemptsCtxKey, &attempts)
	for {
		err := m.cfg.ManageSync(ctx, []string{name})
		if err == nil {
			m.mu.Lock()
			released := m.managed[name] != e
			if m.managed[name] == nil {
				// A reload dropped the name while it was being obtained:
				// ManageSync put it in the cache after the release. (A
				// name added again has a loop of its own, which keeps it.)
				m.cache.RemoveManaged([]certmagic.SubjectIssuer{{Subject: name}})
			}
			m.mu.Unlock()
			if !released {
				m.log.Info("certificate ready", "name", name, "not_after", m.notAfter(name).Format(time.RFC3339))
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		wait := retryAfter(attempts, err)
		attempts++
		m.log.Warn("cannot obtain a certificate yet; retrying", "name", name, "attempt", attempts, "retry_in", wait.String(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// retryAfter is the wait after the attempt-th failure (from 0): short
// when the CA could not be reached, certmagic's schedule when it answered.
func retryAfter(attempt int, err error) time.Duration {
	var problem acme.Problem
	var netErr net.Error
	if !errors.As(err, &problem) && errors.As(err, &netErr) {
		return min(time.Second<<min(attempt, 6), time.Minute)
	}
	schedule := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute, time.Hour}
	return schedule[min(attempt, len(schedule)-1)]
}

// onEvent counts failures and logs what certmagic did.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	switch event {
	case "cert_obtained":
		if renewal {
			m.log.Info("certificate renewed", "name", name)
		} else {
			m.log.Info("certificate obtained", "name", name, "issuer", data["issuer"])
		}
	case "cert_failed":
		m.failures.Add(1)
		if renewal {
			m.log.Warn("certificate renewal failed; the current certificate is served until it succeeds", "name", name, "err", data["error"])
		}
	}
	return nil
}

// Certificate is a managed name and the expiry of its certificate.
type Certificate struct {
	Name     string
	NotAfter time.Time // zero while it has none
}

// Certificates lists the managed names and their certificates' expiry,
// for metrics.
func (m *Manager) Certificates() []Certificate {
	m.mu.Lock()
	names := make([]string, 0, len(m.managed))
	for n := range m.managed {
		names = append(names, n)
	}
	m.mu.Unlock()
	out := make([]Certificate, 0, len(names))
	for _, n := range names {
		out = append(out, Certificate{Name: n, NotAfter: m.notAfter(n)})
	}
	return out
}

func (m *Manager) notAfter(name string) time.Time {
	var last time.Time
	for _, c := range m.cache.AllMatchingCertificates(name) {
		if c.Leaf != nil && c.Leaf.NotAfter.After(last) {
			last = c.Leaf.NotAfter
		}
	}
	return last
}

// Failures counts the failed attempts to obtain or renew a certificate.
func (m *Manager) Failures() uint64 { return m.failures.Load() }

// Stop ends obtaining and the maintenance; the certificates stay served
// from the cache until the process ends.
func (m *Manager) Stop() {
	m.stop.Do(func() {
		m.cancel()
		m.wg.Wait()
		m.cache.Stop()
	})
}
