package config

import (
	"flag"

	"github.com/brick-server/brick/certs"
)

// HTTPS. [server] listen_tls names the HTTPS addresses; each site then says
// how it is served there: tls = { cert = "...", key = "..." } with its
// certificate files, tls = "internal" with certificates from Brick's own
// CA (certs.InternalCA), or tls = "off" to stay on the plain listeners
// only.
// Automatic certificates ("auto", ACME) are not available yet, so with
// listen_tls every site must say one or the other: a site left out would
// be silently unreachable over HTTPS.

// tls checks the tls settings against the listeners.
func (v *validator) tls() {
	s := &v.o.Server
	for i := range v.o.Sites {
		site := &v.o.Sites[i]
		p := path{"site"}.index(i)
		t := site.TLS
		switch {
		case t == nil && len(s.ListenTLS) > 0:
			v.errorf(p, site.Line, `the site has no tls setting, and server.listen_tls is set: give it tls = { cert = "cert.pem", key = "key.pem" }, or tls = "off" to serve it over plain HTTP only`)
		case t != nil && !t.Off && len(s.ListenTLS) == 0:
			v.errorf(p.field("tls"), site.Line, `the site has a certificate but server.listen_tls is empty: add listen_tls = [":443"] to [server]`)
		case t != nil && t.Off && len(s.Listen) == 0:
			v.errorf(p.field("tls"), site.Line, `the site has tls = "off" but server.listen is empty: it would be served nowhere; add a plain listen address`)
		case t != nil && t.Internal && (t.Cert != "" || t.Key != ""):
			v.errorf(p.field("tls"), site.Line, `tls is both "internal" and certificate files: give one of them`)
		case t != nil && !t.Off && !t.Internal && (t.Cert == "" || t.Key == ""):
			v.errorf(p.field("tls"), site.Line, "tls needs both cert and key")
		}
	}
}

// checkTLS reads every site's certificate and key: they must exist, belong
// together, and cover the site's hosts. A host its certificate does not
// cover is an error, not a warning: every client asking for that name
// would refuse the certificate, which is a broken site, and `brick
// validate` is where that should be found, not the first visitor.
func (v *validator) checkTLS() {
	for i := range v.o.Sites {
		site := &v.o.Sites[i]
		t := site.TLS
		if t == nil || t.Off || t.Cert == "" || t.Key == "" {
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

// CertSources are the certificates the options serve on their HTTPS
// listeners, for certs.Store.Load.
func (o *Options) CertSources() []certs.Source {
	var out []certs.Source
	for _, s := range o.Sites {
		if s.TLS != nil && !s.TLS.Off {
			out = append(out, certs.Source{Hosts: s.Hosts, Files: s.TLS.Files, Internal: s.TLS.Internal})
		}
	}
	return out
}

// QuickTLS is what -tls-cert and -tls-key give a command-line mode: its
// sites are served over HTTPS with those files, on the -addr addresses.
type QuickTLS struct {
	certs.Files
	// Internal is -tls-internal: certificates from the internal CA.
	Internal bool
}

// RegisterFlags binds -tls-cert and -tls-key.
func (q *QuickTLS) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&q.Cert, "tls-cert", "", "serve HTTPS on -addr with this certificate (PEM; with its chain), with -tls-key")
	fs.StringVar(&q.Key, "tls-key", "", "the private key (PEM) of -tls-cert")
	fs.BoolVar(&q.Internal, "tls-internal", false, "serve HTTPS on -addr with certificates from Brick's own CA (for development; the log says how to trust it)")
}

// Apply compiles the flags into o: the listen addresses become listen_tls
// and every site gets the files, as a file would say it. With neither flag
// it changes nothing; with one of them, Validate reports the other missing.
func (q *QuickTLS) Apply(o *Options) {
	if q.Cert == "" && q.Key == "" && !q.Internal {
		return
	}
	o.Server.ListenTLS, o.Server.Listen = o.Server.Listen, nil
	for i := range o.Sites {
		o.Sites[i].TLS = &SiteTLS{Files: q.Files, Internal: q.Internal}
	}
}
