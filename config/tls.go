package config

import (
	"crypto/x509"
	"errors"
	"flag"
	"os"

	"github.com/brick-server/brick/certs"
	"github.com/brick-server/brick/internal/units"
)

// HTTPS. [server] listen_tls names the HTTPS addresses; each site then says
// how it is served there: tls = { cert = "...", key = "..." } with its
// certificate files, tls = "auto" for certificates obtained automatically
// (acme.go), tls = "internal" with certificates from Brick's own CA
// (certs.InternalCA), or tls = "off" to stay on the plain listeners only.
// Under listen_tls a site that says nothing is "auto" when its names are
// public (Provision); otherwise it must say: a site left out would be
// silently unreachable over HTTPS.

// tls checks the tls settings against the listeners.
func (v *validator) tls() {
	s := &v.o.Server
	for i := range v.o.Sites {
		site := &v.o.Sites[i]
		p := path{"site"}.index(i)
		t := site.TLS
		switch {
		case t == nil && len(s.ListenTLS) > 0:
			v.errorf(p, site.Line, "the site has no tls setting, and server.listen_tls is set: %s", noTLSAdvice(site))
		case t != nil && t.Mode == TLSAuto && len(s.ListenTLS) == 0:
			v.errorf(p.field("tls"), site.Line, `the site has tls = "auto" but server.listen_tls is empty: add listen_tls = [":443"] to [server]`)
		case t != nil && t.Mode == TLSFiles && len(s.ListenTLS) == 0:
			v.errorf(p.field("tls"), site.Line, `the site has a certificate but server.listen_tls is empty: add listen_tls = [":443"] to [server]`)
		case t != nil && t.Off() && len(s.Listen) == 0:
			v.errorf(p.field("tls"), site.Line, `the site has tls = "off" but server.listen is empty: it would be served nowhere; add a plain listen address`)
		case t != nil && t.Mode == TLSInternal && len(s.ListenTLS) == 0:
			v.errorf(p.field("tls"), site.Line, `the site has tls = "internal" but server.listen_tls is empty: add listen_tls = [":443"] to [server]`)
		case t != nil && t.Mode == TLSFiles && (t.Cert == "" || t.Key == ""):
			v.errorf(p.field("tls"), site.Line, "tls needs both cert and key")
		}
	}
	v.acme()
}

// noTLSAdvice says what a site without tls under listen_tls can write,
// given why it did not get "auto".
func noTLSAdvice(site *Site) string {
	const choices = `give it tls = { cert = "cert.pem", key = "key.pem" }, tls = "internal" (Brick's own CA, for development and private names), or tls = "off" to serve it over plain HTTP only`
	if len(site.Hosts) == 0 {
		return `it has no hosts, so no certificate can be obtained for it automatically: list its public names in hosts (tls = "auto"), or ` + choices
	}
	var private []string
	for _, h := range site.Hosts {
		if !PublicName(h) {
			private = append(private, `"`+h+`"`)
		}
	}
	return andList(private) + ` not a public DNS name, so no certificate is obtained automatically: ` + choices + `, or tls = "auto" with tls.acme_ca naming a CA that issues for it`
}

// checkTLS reads every site's certificate and key: they must exist, belong
// together, and cover the site's hosts. A host its certificate does not
// cover is an error, not a warning: every client asking for that name
// would refuse the certificate, which is a broken site, and `brick
// validate` is where that should be found, not the first visitor.
func (v *validator) checkTLS() {
	if root := v.o.TLS.ACMECARoot; root != "" && v.o.Auto() {
		p := path{"tls", "acme_ca_root"}
		switch pem, err := os.ReadFile(root); {
		case err != nil:
			v.errorf(p, 0, "tls.acme_ca_root: %v", err)
		case !x509.NewCertPool().AppendCertsFromPEM(pem):
			v.errorf(p, 0, "tls.acme_ca_root: %s holds no PEM certificate; give the CA's root certificate in PEM", root)
		}
	}
	for i := range v.o.Sites {
		site := &v.o.Sites[i]
		t := site.TLS
		if t == nil || t.Mode != TLSFiles || t.Cert == "" || t.Key == "" {
			continue
		}
		p := path{"site"}.index(i).field("tls")
		kp, err := certs.LoadPair(t.Files)
		if err != nil {
			v.errorf(p, site.Line, "%v", err)
			continue
		}
		if bad := certs.Uncovered(kp, site.Hosts); len(bad) > 0 {
			v.errorf(p, site.Line, "the certificate %s does not cover the site's %s; clients would refuse it: use a certificate issued for those names",
				t.Cert, andList(quoteAll(bad)))
		}
	}
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = `"` + s + `"`
	}
	return out
}

// CertSources are the certificate files the options serve on their HTTPS
// listeners, for certs.Store.Load; the sites with tls = "auto" are the
// service's to add, with their issuer.
func (o *Options) CertSources() []certs.Source {
	var out []certs.Source
	for _, s := range o.Sites {
		if s.TLS != nil && (s.TLS.Mode == TLSFiles || s.TLS.Mode == TLSInternal) {
			out = append(out, certs.Source{Hosts: s.Hosts, Files: s.TLS.Files, Internal: s.TLS.Mode == TLSInternal})
		}
	}
	return out
}

// QuickTLS is what the HTTPS flags give a command-line mode: -tls-cert
// and -tls-key serve its sites over HTTPS with those files, on the -addr
// addresses; -domain (repeatable) obtains certificates automatically for
// those names, as `caddy file-server --domain` does: HTTPS on -addr
// (":443" by default), plain HTTP on -http-addr (":80") answering the CA's
// challenge and redirecting the rest to HTTPS. The [tls] keys are flags
// too (-email, -acme-ca, -acme-ca-root, -storage, -renew-interval,
// -zerossl-api-key).
type QuickTLS struct {
	certs.Files
	// Domains are the -domain names.
	Domains []string
	// HTTPAddr is the plain listener of -domain.
	HTTPAddr string
	// Internal is -tls-internal: certificates from the internal CA.
	Internal bool
	// TLS is [tls], which the flags fill.
	TLS TLS

	fs *flag.FlagSet
}

// RegisterFlags binds the HTTPS flags.
func (q *QuickTLS) RegisterFlags(fs *flag.FlagSet) {
	q.fs, q.TLS, q.HTTPAddr = fs, newTLS(), ":80"
	fs.StringVar(&q.Cert, "tls-cert", "", "serve HTTPS on -addr with this certificate (PEM; with its chain), with -tls-key")
	fs.StringVar(&q.Key, "tls-key", "", "the private key (PEM) of -tls-cert")
	fs.Func("domain", "serve HTTPS for this `name` with a certificate obtained automatically (ACME): on -addr, :443 by default, with plain HTTP on -http-addr for the CA's challenge and redirects; repeat for several names", func(s string) error {
		q.Domains = append(q.Domains, s)
		return nil
	})
	fs.BoolVar(&q.Internal, "tls-internal", false, "serve HTTPS on -addr with certificates from Brick's own CA (for development; the log says how to trust it)")
	fs.StringVar(&q.HTTPAddr, "http-addr", q.HTTPAddr, "with -domain, the plain HTTP address: ACME HTTP-01 challenges and redirects to HTTPS")
	c := &q.TLS
	fs.StringVar(&c.Email, "email", c.Email, "with -domain, the ACME account's contact address (the CA's expiry notices)")
	fs.StringVar(&c.ACMECA, "acme-ca", c.ACMECA, "with -domain, the ACME directory `URL` of the CA")
	fs.StringVar(&c.ACMECARoot, "acme-ca-root", c.ACMECARoot, "with -domain, a PEM `file` of roots to trust for the CA's own HTTPS (test CAs)")
	fs.StringVar(&c.Storage, "storage", c.Storage, "with -domain, the `directory` of certificates, keys and ACME account (default $XDG_DATA_HOME/brick, /var/lib/brick or ~/.local/share/brick)")
	fs.Var(units.Duration{P: &c.RenewInterval}, "renew-interval", "with -domain, how often (a `duration`) certificates are checked for renewal")
	fs.StringVar(&c.ZeroSSLAPIKey, "zerossl-api-key", c.ZeroSSLAPIKey, "with -domain, a ZeroSSL API `key`: ZeroSSL is then tried when -acme-ca fails")
}

// Apply compiles the flags into o, as a file would say it: with -tls-cert
// and -tls-key, the listen addresses become listen_tls and every site gets
// the files; with -domain, the sites answer for those names with tls =
// "auto", on -addr (or ":443") over HTTPS and on -http-addr in plain HTTP.
// Without them it changes nothing but [tls]; with only one of -tls-cert
// and -tls-key, Validate reports the other missing.
func (q *QuickTLS) Apply(o *Options) error {
	o.TLS = q.TLS
	files := q.Cert != "" || q.Key != ""
	switch {
	case files && len(q.Domains) > 0:
		return errors.New("-domain obtains certificates automatically and -tls-cert gives one: use one or the other")
	case q.Internal && (files || len(q.Domains) > 0):
		return errors.New("-tls-internal issues certificates from Brick's own CA; -tls-cert and -domain give others: use one of them")
	case q.Internal:
		o.Server.ListenTLS, o.Server.Listen = o.Server.Listen, nil
		for i := range o.Sites {
			o.Sites[i].TLS = &SiteTLS{Mode: TLSInternal}
		}
	case files:
		o.Server.ListenTLS, o.Server.Listen = o.Server.Listen, nil
		for i := range o.Sites {
			o.Sites[i].TLS = &SiteTLS{Files: q.Files}
		}
	case len(q.Domains) > 0:
		addrSet := false
		q.fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
		o.Server.ListenTLS = []string{":443"}
		if addrSet {
			o.Server.ListenTLS = o.Server.Listen
		}
		o.Server.Listen = []string{q.HTTPAddr}
		hosts := make([]string, len(q.Domains))
		for i, d := range q.Domains {
			hosts[i] = normalizeHost(d)
		}
		for i := range o.Sites {
			o.Sites[i].Hosts, o.Sites[i].Default = hosts, false
			o.Sites[i].TLS = &SiteTLS{Mode: TLSAuto}
		}
	}
	return nil
}
