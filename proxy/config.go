package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/units"
)

// Config says where a Handler sends requests and how.
type Config struct {
	// To lists the upstreams, "http://host:port" (port 80 when left
	// out) or "https://host:port" (443; TLS with the host as SNI,
	// verified against the system's roots or CA). Names are resolved
	// each time a connection is made, so a DNS change is followed
	// without a reload.
	To []string
	// Policy picks the upstream of each request: "round_robin",
	// "least_conn", "random_two" (the less busy of two picked at
	// random), "ip_hash" (by client address), "header:NAME" (by a
	// request field's value) or "cookie:NAME" (sticky: a client without
	// the cookie is given one naming its upstream).
	Policy string
	// StripPrefix removes the route's path (Prefix) from the path sent
	// upstream: with it, a route "/api/" sends "/api/users" as "/users".
	StripPrefix bool
	// Prefix is the route's path, which StripPrefix removes.
	Prefix string
	// Timeout bounds connecting to an upstream and each wait for its
	// bytes (nginx's proxy_read_timeout): past it the client gets 504,
	// or a cut response when part of it was sent.
	Timeout time.Duration
	// TrustedProxies are the networks whose X-Forwarded-* and Forwarded
	// fields are kept and added to; from any other client they are
	// replaced, so a client cannot forge its address.
	TrustedProxies []netip.Prefix
	// MaxFails failures within FailTimeout take an upstream out for
	// FailTimeout (nginx's max_fails and fail_timeout); 0 never does.
	MaxFails    int
	FailTimeout time.Duration
	// HealthURI, when set, is requested from every upstream each
	// HealthInterval; an upstream that does not answer with HealthStatus
	// ("2xx", or a code such as "200") is taken out until it does.
	HealthURI      string
	HealthInterval time.Duration
	HealthStatus   string
	// MaxIdle bounds the kept-alive connections per upstream kept idle
	// for more than a second (those of a burst beyond it wait a second
	// for the next one); 0 keeps none. IdleTimeout closes one unused
	// that long.
	MaxIdle     int
	IdleTimeout time.Duration
	// BufferRequests reads a request's whole body (BufferMemory bytes
	// in memory, the rest in a temporary file, up to BufferMax: past it
	// 413) before an upstream is picked, so a slow uploader never holds
	// an upstream connection, and the body can go to another upstream
	// when the first fails.
	BufferRequests bool
	// BufferResponses reads the upstream's response body as fast as it
	// comes (BufferMemory in memory, then a temporary file) and frees
	// the upstream's connection before the client is written to, so a
	// slow client never holds an upstream. Past BufferMax the rest is
	// streamed, the upstream held as without buffering. A response the
	// upstream streams (SSE) reaches the client only at its end: leave
	// it off for routes that stream.
	BufferResponses bool
	BufferMemory    int64
	BufferMax       int64
	// CA is a PEM file of the certificates that sign https upstreams'
	// certificates, in place of the system's roots (a private CA).
	CA string
	// TLSInsecureSkipVerify accepts any certificate from https
	// upstreams: for development only, logged as a warning at start.
	TLSInsecureSkipVerify bool
	// Transport makes the connections; nil dials TCP. TLS to https
	// upstreams runs over what it returns.
	Transport Transport
	// Logger receives the failures; nil uses slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of a proxy route: round robin, a
// 60 s timeout (nginx's proxy_read_timeout), one failure taking an
// upstream out for 10 s (nginx's max_fails and fail_timeout), health
// checks every 5 s expecting 2xx once a health_uri is given, and 32 idle
// connections per upstream kept up to 60 s; buffering, when asked for,
// keeps 64 KiB of a body in memory and up to 1 GiB in all (nginx's
// proxy_max_temp_file_size).
func DefaultConfig() Config {
	return Config{
		Policy:         "round_robin",
		Timeout:        60 * time.Second,
		MaxFails:       1,
		FailTimeout:    10 * time.Second,
		HealthInterval: 5 * time.Second,
		HealthStatus:   "2xx",
		MaxIdle:        32,
		IdleTimeout:    60 * time.Second,
		BufferMemory:   64 << 10,
		BufferMax:      1 << 30,
	}
}

// Validate checks the values of c. Every problem is a *units.FieldError
// naming the file key, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	if len(c.To) == 0 {
		bad("to", `proxy needs at least one upstream; write to = ["http://127.0.0.1:8000"]`)
	}
	secure := false
	for _, u := range c.To {
		_, tls, err := parseUpstream(u)
		if err != nil {
			bad("to", "%v", err)
		}
		secure = secure || tls
	}
	if !secure && len(c.To) > 0 {
		if c.CA != "" {
			bad("ca", "proxy ca applies to https upstreams; none of to is https://")
		}
		if c.TLSInsecureSkipVerify {
			bad("tls_insecure_skip_verify", "proxy tls_insecure_skip_verify applies to https upstreams; none of to is https://")
		}
	}
	if c.CA != "" && c.TLSInsecureSkipVerify {
		bad("tls_insecure_skip_verify", "proxy tls_insecure_skip_verify ignores the ca given; remove one of them")
	}
	if _, err := parsePolicy(c.Policy); err != nil {
		bad("policy", "%v", err)
	}
	if c.Timeout <= 0 {
		bad("timeout", "proxy timeout must be positive")
	}
	if c.MaxFails < 0 {
		bad("max_fails", "proxy max_fails must be 0 or more")
	}
	if c.MaxFails > 0 && c.FailTimeout <= 0 {
		bad("fail_timeout", "proxy fail_timeout must be positive")
	}
	if c.HealthURI != "" {
		if c.HealthURI[0] != '/' || strings.ContainsAny(c.HealthURI, " \r\n\x00") {
			bad("health_uri", `proxy health_uri %q must be a path starting with "/", e.g. "/health"`, c.HealthURI)
		}
		if c.HealthInterval <= 0 {
			bad("health_interval", "proxy health_interval must be positive")
		}
		if _, err := parseHealthStatus(c.HealthStatus); err != nil {
			bad("health_status", "%v", err)
		}
	}
	if c.MaxIdle < 0 {
		bad("max_idle", "proxy max_idle must be 0 or more")
	}
	if c.BufferMemory < 0 || c.BufferMemory > 1<<30 {
		bad("buffer_memory", "proxy buffer_memory must be from 0 to 1 GiB, e.g. \"64k\"")
	}
	if c.BufferMax <= 0 {
		bad("buffer_max", "proxy buffer_max must be positive, e.g. \"1g\"")
	}
	if c.IdleTimeout <= 0 {
		bad("keepalive_timeout", "proxy keepalive_timeout must be positive")
	}
	return errors.Join(errs...)
}

// parseUpstream turns "http://host:port" or "https://host:port" into
// host:port, and says whether the upstream speaks TLS.
func parseUpstream(s string) (addr string, secure bool, err error) {
	scheme, defPort := "http", "80"
	rest, ok := strings.CutPrefix(s, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "https://"); !ok {
			return "", false, fmt.Errorf(`upstream %q must start with "http://" or "https://", e.g. "http://127.0.0.1:8000"`, s)
		}
		scheme, defPort, secure = "https", "443", true
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.ContainsAny(rest, "/?#@ \t\r\n\x00") {
		return "", false, fmt.Errorf("upstream %q must be %s://host or %[2]s://host:port, without a path", s, scheme)
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return net.JoinHostPort(strings.Trim(rest, "[]"), defPort), secure, nil
		}
		return "", false, fmt.Errorf("upstream %q: %v", s, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || host == "" {
		return "", false, fmt.Errorf("upstream %q: give a host and a port from 1 to 65535", s)
	}
	return rest, secure, nil
}

// parseHealthStatus accepts "2xx"-style classes and exact codes.
func parseHealthStatus(s string) (func(int) bool, error) {
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' && strings.EqualFold(s[1:], "xx") {
		class := int(s[0] - '0')
		return func(code int) bool { return code/100 == class }, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 999 {
		return func(code int) bool { return code == n }, nil
	}
	return nil, fmt.Errorf(`proxy health_status %q must be a class such as "2xx" or a code such as "200"`, s)
}
