package proxy

import (
	"flag"
	"net/netip"
	"strings"

	"github.com/brick-server/brick/internal/units"
)

// RegisterFlags binds the flags of `brick proxy` to c, whose values are
// the flags' defaults; the caller adds the upstreams given as arguments.
// Each flag is the file key of the same setting with dashes for
// underscores (-strip-prefix is strip_prefix).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Var((*upstreamList)(&c.To), "to", "an upstream `URL` such as http://127.0.0.1:8000 (repeatable; arguments add more)")
	fs.StringVar(&c.Policy, "policy", c.Policy, "how an upstream is picked: round_robin, least_conn, random_two, ip_hash, header:NAME or cookie:NAME")
	fs.BoolVar(&c.StripPrefix, "strip-prefix", c.StripPrefix, "remove the route's path from the path sent upstream")
	fs.Var(units.Duration{P: &c.Timeout}, "timeout", "how long (`seconds` or a duration) to connect and to wait for each part of the answer before 504")
	fs.Var((*prefixList)(&c.TrustedProxies), "trusted-proxies", "an `address or network` whose X-Forwarded-* and Forwarded fields are kept (repeatable)")
	fs.IntVar(&c.MaxFails, "max-fails", c.MaxFails, "failures within -fail-timeout that take an upstream out for -fail-timeout (0: never)")
	fs.Var(units.Duration{P: &c.FailTimeout}, "fail-timeout", "the window of -max-fails and how long an upstream stays out (`seconds` or a duration)")
	fs.StringVar(&c.HealthURI, "health-uri", c.HealthURI, "`path` asked of every upstream each -health-interval; an upstream answering otherwise than -health-status is taken out")
	fs.Var(units.Duration{P: &c.HealthInterval}, "health-interval", "time between health checks (`seconds` or a duration)")
	fs.StringVar(&c.HealthStatus, "health-status", c.HealthStatus, "the healthy answer: a class such as 2xx or a code such as 200")
	fs.IntVar(&c.MaxIdle, "max-idle", c.MaxIdle, "idle keep-alive connections kept per upstream past a second (a burst's extra ones wait a second for the next)")
	fs.Var(units.Duration{P: &c.IdleTimeout}, "keepalive-timeout", "how long an idle upstream connection is kept (`seconds` or a duration)")
	fs.BoolVar(&c.BufferRequests, "buffer-requests", c.BufferRequests, "read each request body whole (memory, then a temporary file) before picking an upstream")
	fs.BoolVar(&c.BufferResponses, "buffer-responses", c.BufferResponses, "read each response body whole before writing it to the client, freeing the upstream early")
	fs.Var(units.Size{P: &c.BufferMemory}, "buffer-memory", "`bytes` of a buffered body kept in memory before a temporary file")
	fs.Var(units.Size{P: &c.BufferMax}, "buffer-max", "the most `bytes` buffered per body: a request over it is refused (413), a response streams on")
	fs.StringVar(&c.CA, "ca", c.CA, "PEM `file` of the CA that signs the https upstreams' certificates (default: the system's roots)")
	fs.BoolVar(&c.TLSInsecureSkipVerify, "tls-insecure-skip-verify", c.TLSInsecureSkipVerify, "accept any certificate from https upstreams (development only)")
}

// upstreamList is a repeatable upstream flag; a bare host:port means
// http://host:port, as Caddy's reverse-proxy --to takes it.
type upstreamList []string

func (l *upstreamList) String() string { return strings.Join(*l, " ") }

func (l *upstreamList) Set(s string) error {
	*l = append(*l, NormalizeUpstream(s))
	return nil
}

// NormalizeUpstream adds "http://" to an upstream given as host:port.
func NormalizeUpstream(s string) string {
	if !strings.Contains(s, "://") {
		return "http://" + s
	}
	return s
}

// prefixList is a repeatable address-or-network flag.
type prefixList []netip.Prefix

func (l *prefixList) String() string {
	var s []string
	for _, p := range *l {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

func (l *prefixList) Set(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return err
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	*l = append(*l, p.Masked())
	return nil
}
