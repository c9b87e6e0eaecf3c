package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
)

// clientTLS returns the TLS configuration of https upstreams: the
// system's roots or those of c.CA, and a session cache, so that a new
// connection to an upstream resumes its session instead of a full
// handshake. Each upstream takes a copy naming its host.
func clientTLS(c *Config) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
		InsecureSkipVerify: c.TLSInsecureSkipVerify,
	}
	if c.CA != "" {
		pem, err := os.ReadFile(c.CA)
		if err != nil {
			return nil, fmt.Errorf("proxy ca: %w; give the PEM file of the upstreams' CA", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("proxy ca: %s holds no PEM certificate", c.CA)
		}
	}
	return tc, nil
}

// upstreamTLS is base for the upstream at addr (host:port): the host is
// the name sent in SNI and the one its certificate must hold.
func upstreamTLS(base *tls.Config, addr string) *tls.Config {
	host, _, _ := net.SplitHostPort(addr)
	tc := base.Clone()
	tc.ServerName = host
	return tc
}

// dial connects to u, with TLS for an https upstream, within ctx.
func (h *Handler) dial(ctx context.Context, u *upstream) (nc, raw net.Conn, err error) {
	raw, err = h.transport.Dial(ctx, u.addr)
	if err != nil || u.tls == nil {
		return raw, raw, err
	}
	tc := tls.Client(raw, u.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, raw, nil
}
