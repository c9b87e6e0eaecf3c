package config

import (
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Automatic certificates. A site with tls = "auto" gets its certificate
// from an ACME CA ([tls] acme_ca, Let's Encrypt by default), which checks
// that the server answers for the site's names (HTTP-01 on a plain
// listener, TLS-ALPN-01 on an HTTPS one) before it issues. "auto" is the
// default under listen_tls for a site whose hosts are all public names;
// a site without hosts, or with names no public CA issues for, must say
// what it wants.

// DefaultACMECA is Let's Encrypt's production directory, the CA of
// tls = "auto" unless [tls] acme_ca names another.
const DefaultACMECA = "https://acme-v02.api.letsencrypt.org/directory"

// DefaultRenewInterval is how often the certificates are checked for
// renewal (and their OCSP staples refreshed) unless [tls] renew_interval
// says otherwise: certmagic's default.
const DefaultRenewInterval = 10 * time.Minute

// Challenge types an ACME CA may use to check a name.
const (
	ChallengeHTTP01    = "http-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// TLS is the [tls] table: how certificates for tls = "auto" are
// obtained, stored and renewed.
type TLS struct {
	// Email is the ACME account's contact, for the CA's expiry and
	// policy notices; may be empty.
	Email string
	// ACMECA is the ACME directory URL of the CA.
	ACMECA string
	// ACMECARoot is a PEM file of root certificates to trust for the
	// CA's own HTTPS (a test or private CA); empty trusts the system's.
	ACMECARoot string
	// Storage is the directory of the certificates, keys and ACME
	// account; empty for the default ($XDG_DATA_HOME/brick, else
	// /var/lib/brick when writable, else ~/.local/share/brick).
	// Several instances may share it: they coordinate through lock
	// files in it.
	Storage string
	// RenewInterval is how often certificates are checked for renewal.
	RenewInterval time.Duration
	// Challenges are the challenge types offered to the CA; by default
	// both, HTTP-01 only where a plain listener exists.
	Challenges []string
	// ZeroSSLAPIKey, when set, makes ZeroSSL the issuer tried when the
	// ACME CA fails (certmagic's ZeroSSL issuer, through ZeroSSL's API;
	// it validates over the plain listener).
	ZeroSSLAPIKey string
}

func newTLS() TLS {
	return TLS{ACMECA: DefaultACMECA, RenewInterval: DefaultRenewInterval,
		Challenges: []string{ChallengeHTTP01, ChallengeTLSALPN01}}
}

// tlsTable decodes [tls].
func (d *decoder) tlsTable(t *table, c *TLS) {
	t.str("email", &c.Email)
	t.str("acme_ca", &c.ACMECA)
	t.str("acme_ca_root", &c.ACMECARoot)
	t.str("storage", &c.Storage)
	t.duration("renew_interval", &c.RenewInterval)
	t.str("zerossl_api_key", &c.ZeroSSLAPIKey)
	if list, present, ok := t.strings("challenges"); present && ok {
		c.Challenges = list
	}
	t.done()
}

// Auto reports whether any site gets its certificate automatically.
func (o *Options) Auto() bool {
	for _, s := range o.Sites {
		if s.TLS != nil && s.TLS.Mode == TLSAuto {
			return true
		}
	}
	return false
}

// AutoNames are the hosts of the sites with tls = "auto", in file order.
func (o *Options) AutoNames() []string {
	var out []string
	for _, s := range o.Sites {
		if s.TLS != nil && s.TLS.Mode == TLSAuto {
			out = append(out, s.Hosts...)
		}
	}
	return out
}

// provisionTLS makes "auto" the tls of a site that gives none under
// listen_tls when its hosts are all public names.
func (o *Options) provisionTLS() {
	if len(o.Server.ListenTLS) == 0 {
		return
	}
	for i := range o.Sites {
		s := &o.Sites[i]
		if s.TLS != nil || len(s.Hosts) == 0 {
			continue
		}
		public := true
		for _, h := range s.Hosts {
			public = public && PublicName(h)
		}
		if public {
			s.TLS = &SiteTLS{Mode: TLSAuto}
		}
	}
}

// PublicName reports whether a public CA (Let's Encrypt) can issue a
// certificate for host: a DNS name with a dot, under no top-level domain
// reserved for private use (RFC 2606, RFC 6761, RFC 6762, RFC 8375), and
// no IP address or wildcard (which HTTP-01 and TLS-ALPN-01 cannot prove).
func PublicName(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if checkHost(h) != "" || strings.HasPrefix(h, "*") || !strings.Contains(h, ".") {
		return false
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return false
	}
	for _, private := range []string{".localhost", ".local", ".test", ".example", ".invalid", ".internal", ".home.arpa", ".lan", ".corp", ".home"} {
		if strings.HasSuffix(h, private) {
			return false
		}
	}
	return true
}

// acme checks [tls] and the names of the sites with tls = "auto".
func (v *validator) acme() {
	c, p := &v.o.TLS, path{"tls"}
	auto := v.o.Auto()
	u, err := url.Parse(c.ACMECA)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		v.errorf(p.field("acme_ca"), 0, `tls.acme_ca %q must be the https:// URL of an ACME directory, e.g. %q`, c.ACMECA, DefaultACMECA)
	}
	if c.Email != "" && (!strings.Contains(c.Email, "@") || strings.ContainsAny(c.Email, " \t\r\n<>")) {
		v.errorf(p.field("email"), 0, "tls.email %q is not an email address", c.Email)
	}
	if c.RenewInterval <= 0 {
		v.errorf(p.field("renew_interval"), 0, "tls.renew_interval must be positive")
	}
	for i, ch := range c.Challenges {
		switch {
		case ch != ChallengeHTTP01 && ch != ChallengeTLSALPN01:
			v.errorf(p.field("challenges").index(i), 0, `tls.challenges: %q is not "http-01" or "tls-alpn-01"`, ch)
		case ch == ChallengeHTTP01 && auto && len(v.o.Server.Listen) == 0 && len(c.Challenges) == 1:
			v.errorf(p.field("challenges"), 0, `tls.challenges is only "http-01", which needs a plain listener: add listen = [":80"] to [server], or offer "tls-alpn-01"`)
		}
	}
	if c.ZeroSSLAPIKey != "" && auto && len(v.o.Server.Listen) == 0 {
		v.errorf(p.field("zerossl_api_key"), 0, `tls.zerossl_api_key: ZeroSSL validates names over plain HTTP, and server.listen is empty: add listen = [":80"]`)
	}
	if len(c.Challenges) == 0 {
		v.errorf(p.field("challenges"), 0, `tls.challenges is empty; give "http-01", "tls-alpn-01" or both`)
	}
	for i := range v.o.Sites {
		site := &v.o.Sites[i]
		if site.TLS == nil || site.TLS.Mode != TLSAuto {
			continue
		}
		sp := path{"site"}.index(i)
		if len(site.Hosts) == 0 {
			v.errorf(sp.field("tls"), site.Line, `tls = "auto" needs the site's names: give hosts = ["example.com"], or give the site certificate files`)
			continue
		}
		for _, h := range site.Hosts {
			switch {
			case strings.HasPrefix(h, "*"):
				v.errorf(sp.field("hosts"), site.Line, `%q: a wildcard certificate needs the DNS-01 challenge, which tls = "auto" does not do; list the names, or give certificate files`, h)
			case h[0] == '[' || isIP(h):
				v.errorf(sp.field("hosts"), site.Line, `%q is an IP address; tls = "auto" obtains certificates for DNS names: give a name, or certificate files`, h)
			case c.ACMECA == DefaultACMECA && !PublicName(h):
				v.errorf(sp.field("hosts"), site.Line, `%q is not a public DNS name, and Let's Encrypt issues certificates only for those: give certificate files, or tls.acme_ca of a CA that issues for it`, h)
			}
		}
	}
}

func isIP(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}
