package config

import (
	"flag"
	"strings"

	"github.com/brick-server/brick/internal/units"
)

// RegisterFlags binds the flags every command-line mode shares to the
// [server] and [log] settings of o, whose values are the flags' defaults.
// A flag is the file key with dashes for underscores, except where the
// command line has its own habit: -addr is listen, -v is trace,
// -access-log and -access-log-format are [log] access and format.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	s, l := &o.Server, &o.Log
	fs.Var(&addrList{list: &s.Listen}, "addr", "address to listen on, `host:port` (IPv6: [::1]:8888); repeat for several")
	fs.BoolVar(&s.Trace, "v", s.Trace, "print every request and response (bodies truncated) to stderr")
	fs.StringVar(&s.Admin, "admin", s.Admin, "host:port of the admin listener: /metrics and /healthz (default none)")
	fs.StringVar(&l.Access, "access-log", l.Access, `access log: "off", "stderr", "stdout" or a file path`)
	fs.StringVar(&l.Format, "access-log-format", l.Format, `access log format: "common", "combined" or "json"`)
	fs.Var(units.Duration{P: &s.ShutdownTimeout}, "shutdown-timeout", "on SIGINT/SIGTERM, how long (a `duration`: 10s, 1m) in-flight requests may take to finish")
	fs.Var(units.Duration{P: &s.ReloadGrace}, "reload-grace", "on SIGHUP, how long (a `duration`) requests in flight under the old settings may run")
	fs.Var(units.Duration{P: &s.WSGrace}, "ws-grace", "on SIGUSR2 upgrade or reload, how long (a `duration`) open WebSockets are kept before closing with 1001 going away")
	fs.BoolVar(&s.ReusePort, "reuseport", s.ReusePort, "set SO_REUSEPORT so several brick processes can share the port")
	fs.IntVar(&s.Backlog, "backlog", s.Backlog, "listen backlog (capped by net.core.somaxconn)")
	fs.IntVar(&s.MaxConns, "max-conns", s.MaxConns, "open connections at most (0: 90% of the open-file limit)")
	fs.Var(units.Size{P: &s.MaxBody}, "max-body", "request body limit, a `size` such as 64MiB")
	fs.Var(units.Size{P: &s.MaxHeader}, "max-header", "request head limit (request line and header fields), a `size` such as 64KiB")
	fs.Var(units.Duration{P: &s.ReadHeaderTimeout}, "read-header-timeout", "time (a `duration`) to receive a request head")
	fs.Var(units.Duration{P: &s.ReadTimeout}, "read-timeout", "each wait (a `duration`) for request body bytes")
	fs.Var(units.Duration{P: &s.WriteTimeout}, "write-timeout", "each wait (a `duration`) for the client to take response bytes")
	fs.Var(units.Duration{P: &s.IdleTimeout}, "idle-timeout", "a kept-alive connection's wait (a `duration`) for its next request")
	fs.BoolVar(&s.H2C, "h2c", s.H2C, "serve HTTP/2 over cleartext too (prior knowledge and Upgrade: h2c); -h2c=false turns it off")
	fs.BoolVar(&s.GoroutinePerConn, "goroutine-per-conn", s.GoroutinePerConn, "use a goroutine per connection instead of the epoll loops (for comparison)")
}

// FlagFor names the flag that sets the file key at the end of a key path
// ("site[0].route[0].wsgi.max_memory" is -max-memory), for messages about
// options a command line compiled; "" when the key has no flag in fs.
func FlagFor(fs *flag.FlagSet, key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	name := strings.ReplaceAll(key, "_", "-")
	switch key {
	case "listen", "listen_tls":
		name = "addr"
	case "tls":
		name = "tls-cert"
	case "hosts":
		name = "domain"
	case "trace":
		name = "v"
	case "access":
		name = "access-log"
	case "format":
		name = "access-log-format"
	}
	if fs.Lookup(name) == nil {
		return ""
	}
	return "-" + name
}

// addrList is -addr: the first use replaces the default address, the
// next ones add to it.
type addrList struct {
	list *[]string
	set  bool
}

func (a *addrList) String() string {
	if a.list == nil {
		return ""
	}
	return strings.Join(*a.list, ",")
}

func (a *addrList) Set(s string) error {
	if !a.set {
		*a.list, a.set = nil, true
	}
	*a.list = append(*a.list, s)
	return nil
}
