package service

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/brick-server/brick/acme"
	"github.com/brick-server/brick/certs"
	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/web"
)

// HTTPS for sites on the plain listeners, and automatic certificates.
//
// A site served over HTTPS (a certificate, or tls = "auto") is not served
// in plain HTTP: a plain request for it is redirected to https:// with
// 308, path and query kept, except the ACME HTTP-01 challenges, which the
// certificate manager answers. Sites with tls = "off" stay plain.

// tlsHosts tells the plain listeners which hosts belong to sites served
// over HTTPS, as the router would pick the site: exact name, then
// wildcard, then the default site.
type tlsHosts struct {
	exact      map[string]bool // host → the site is served over HTTPS
	wild       map[string]bool // ".example.com" of "*.example.com"
	defaultTLS bool
}

func newTLSHosts(opts *config.Options) *tlsHosts {
	if len(opts.Server.ListenTLS) == 0 || len(opts.Server.Listen) == 0 {
		return nil
	}
	th := &tlsHosts{exact: map[string]bool{}, wild: map[string]bool{}}
	secureSeen := false
	for _, s := range opts.Sites {
		secure := s.TLS != nil && !s.TLS.Off()
		secureSeen = secureSeen || secure
		for _, h := range s.Hosts {
			if rest, ok := strings.CutPrefix(h, "*"); ok {
				th.wild[rest] = secure
			} else {
				th.exact[h] = secure
			}
		}
		if s.Default {
			th.defaultTLS = secure
		}
	}
	if !secureSeen {
		return nil
	}
	return th
}

// maxHost bounds the host names looked up, as the router's.
const maxHost = 255

// lookup returns the request's host, lower-cased and without port, when
// its site is served over HTTPS.
func (th *tlsHosts) lookup(buf *[maxHost]byte, host []byte) ([]byte, bool) {
	h := host
	if len(h) > 0 && h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i >= 0 {
			h = h[:i+1]
		}
	} else if i := bytes.IndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = bytes.TrimSuffix(h, []byte("."))
	if len(h) == 0 || len(h) > maxHost {
		// No usable name: the default site's, which a redirect cannot
		// name (validHost refuses it).
		return nil, th.defaultTLS
	}
	for i, c := range h {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	h = buf[:len(h)]
	if secure, ok := th.exact[string(h)]; ok {
		return h, secure
	}
	if i := bytes.IndexByte(h, '.'); i > 0 {
		if secure, ok := th.wild[string(h[i:])]; ok {
			return h, secure
		}
	}
	return h, th.defaultTLS
}

// validHost reports whether h can go into a Location unchanged: a name
// or an IP address, nothing a client could use to point elsewhere.
func validHost(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	if h[0] == '[' {
		return net.ParseIP(string(h[1:len(h)-1])) != nil
	}
	for _, c := range h {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// servePlain answers a plain request for a site served over HTTPS: the
// CA's challenge, or a redirect. It reports false for the rest, which
// the router serves.
func (s *Service) servePlain(th *tlsHosts, w web.ResponseWriter, r *web.Request) (bool, error) {
	var buf [maxHost]byte
	host, secure := th.lookup(&buf, r.Host)
	if !secure {
		return false, nil
	}
	if m := s.acme.Load(); m != nil && m.IsChallenge(r.Path) {
		return true, m.ChallengeHandler().ServeHTTP(w, r)
	}
	if !validHost(host) {
		return true, web.Error(400, nil)
	}
	var loc strings.Builder
	loc.WriteString("https://")
	loc.Write(host)
	if p := s.httpsPort.Load(); p != 0 && p != 443 {
		loc.WriteByte(':')
		loc.WriteString(strconv.Itoa(int(p)))
	}
	path := r.Path
	if len(path) == 0 || path[0] != '/' {
		path = []byte("/")
	}
	loc.Write(path)
	if r.Query != nil {
		loc.WriteByte('?')
		loc.Write(r.Query)
	}
	w.Header().Set("Location", loc.String())
	w.WriteHeader(308)
	return true, nil
}

// certSources are the options' certificates for the Store: the files,
// and the names of the sites with tls = "auto" answered by m (nil
// without them). It also points the Store's internal CA (tls =
// "internal") at [tls] storage, so that instances sharing a storage
// share one root.
func (s *Service) certSources(opts *config.Options, m *acme.Manager) []certs.Source {
	s.certs.PKIDir = ""
	if opts.TLS.Storage != "" {
		s.certs.PKIDir = filepath.Join(opts.TLS.Storage, "pki")
	}
	srcs := opts.CertSources()
	if m == nil {
		return srcs
	}
	for _, site := range opts.Sites {
		if site.TLS != nil && site.TLS.Mode == config.TLSAuto {
			srcs = append(srcs, certs.Source{Hosts: site.Hosts, Issuer: m})
		}
	}
	return srcs
}

// acmeConfig is [tls] for the manager.
func acmeConfig(opts *config.Options) acme.Config {
	c := opts.TLS
	ac := acme.Config{Email: c.Email, CA: c.ACMECA, CARoot: c.ACMECARoot, Storage: c.Storage, RenewInterval: c.RenewInterval,
		ZeroSSLAPIKey: c.ZeroSSLAPIKey}
	for _, ch := range c.Challenges {
		ac.HTTP01 = ac.HTTP01 || ch == config.ChallengeHTTP01
		ac.TLSALPN01 = ac.TLSALPN01 || ch == config.ChallengeTLSALPN01
	}
	return ac
}

// prepareACME returns the certificate manager opts need: the running one
// while [tls] is unchanged (or no site has tls = "auto"), else a new one
// with the new settings, not yet in force: commitACME puts it in force
// with the configuration, dropACME stops it when the configuration is
// refused. New and Reload (one at a time) call these; requests read
// s.acme meanwhile, hence the atomic pointer.
func (s *Service) prepareACME(opts *config.Options) (*acme.Manager, error) {
	cur := s.acme.Load()
	if !opts.Auto() {
		return cur, nil
	}
	ac := acmeConfig(opts)
	if cur != nil && reflect.DeepEqual(ac, s.acmeConf) {
		return cur, nil
	}
	ac.Logger = s.log
	m, err := acme.New(ac)
	if err != nil {
		return nil, fmt.Errorf("automatic certificates: %w", err)
	}
	if cur != nil {
		// Until the new manager has a name's certificate (from its
		// storage, or its CA), handshakes get the current one's.
		m.Follow(cur)
	}
	return m, nil
}

// commitACME puts m in force; a manager it replaces stops obtaining and
// renewing (its certificates stay in m's fallback).
func (s *Service) commitACME(m *acme.Manager, opts *config.Options) {
	cur := s.acme.Load()
	if m == cur {
		return
	}
	s.acme.Store(m)
	s.acmeConf = acmeConfig(opts)
	if cur == nil {
		s.reg.MustRegister(metrics.NewCertCollector(func() ([]metrics.Cert, uint64) {
			m := s.acme.Load()
			if m == nil {
				return nil, 0
			}
			var out []metrics.Cert
			for _, c := range m.Certificates() {
				out = append(out, metrics.Cert{Name: c.Name, NotAfter: c.NotAfter})
			}
			return out, m.Failures()
		}))
	} else {
		s.log.Info("reload: [tls] changed; a new certificate manager takes over")
		cur.DropFallback()
		go cur.Stop()
	}
	s.log.Info("automatic certificates", "ca", opts.TLS.ACMECA, "storage", m.Storage())
}

// dropACME stops m when prepareACME made it and it was not put in force.
func (s *Service) dropACME(m *acme.Manager) {
	if m != nil && m != s.acme.Load() {
		m.Stop()
	}
}

// manage starts obtaining the certificates of the options' names, once
// the listeners that answer the CA's challenges are bound (Run).
func (s *Service) manage(opts *config.Options) {
	m := s.acme.Load()
	if m == nil || s.acmeHTTP == "" && s.acmeTLS == "" {
		return
	}
	if err := m.Manage(opts.AutoNames(), s.acmeHTTP, s.acmeTLS); err != nil {
		s.log.Error("cannot obtain certificates", "err", err)
	}
}

// stopACME stops obtaining and renewing certificates.
func (s *Service) stopACME() {
	if m := s.acme.Load(); m != nil {
		m.Stop()
	}
}

// logAuto says, beside the listeners' lines, what to try for the names
// with automatic certificates: the addresses' own handshakes fail.
func (s *Service) logAuto(opts *config.Options) {
	names := opts.AutoNames()
	if len(names) == 0 || s.acme.Load() == nil {
		return
	}
	try := "https://" + names[0]
	if p := s.httpsPort.Load(); p != 443 {
		try += ":" + strconv.Itoa(int(p))
	}
	s.log.Info("obtaining certificates automatically", "names", strings.Join(names, ","), "try", "curl "+try+s.try)
}
