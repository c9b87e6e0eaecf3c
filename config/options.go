package config

import (
	"strings"
	"time"

	"github.com/brick-server/brick/certs"
	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/cgi"
	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/static"
)

// Options is a whole configuration as typed data: a file's (Parse, Load)
// or the one a command-line mode compiles from its flags (Defaults, then
// the flags, Provision and Validate). Every way of running Brick serves
// an Options through package service.
//
// Options is plain data: copying it shares its slices.
type Options struct {
	// File is the name the options were parsed from, used in messages;
	// empty when built in code.
	File   string
	Server Server
	Log    Log
	// TLS is the [tls] table: how certificates are obtained for the
	// sites with tls = "auto".
	TLS TLS
	// Sites are the virtual hosts, in file order.
	Sites []Site

	// pos maps key paths to their place in File; nil when built in code.
	pos *positions
}

// Server is the [server] table: listeners and process-wide limits.
type Server struct {
	// Listen is the plain HTTP addresses (host:port); empty when the file
	// gives only listen_tls.
	Listen []string
	// ListenTLS is the HTTPS addresses: every site with a certificate is
	// served there, picked by the name the client asks for (SNI).
	ListenTLS []string
	// Admin is the optional host:port of the metrics (/metrics) and health
	// (/healthz) listener; empty for none.
	Admin string
	// ShutdownTimeout bounds how long in-flight requests may finish on
	// SIGINT or SIGTERM.
	ShutdownTimeout time.Duration
	// ReloadGrace is how long requests in flight under the old
	// configuration may run after SIGHUP loads a new one.
	ReloadGrace time.Duration
	// WSGrace is how long open WebSockets of Go handlers (package
	// websocket, and coder/websocket or gorilla through the net/http
	// adapter) outlive a SIGUSR2 upgrade: the old process keeps them
	// until they close or it ends, then closes them with 1001. An asgi
	// route's ws_grace (its workers' WebSockets on reload, recycle and
	// upgrade) is this unless the route sets its own; an upgraded process
	// leaves at the end of this one, so a longer route value is cut then.
	WSGrace time.Duration
	// Backlog is the listen queue length.
	Backlog int
	// ReusePort sets SO_REUSEPORT so several processes can share a port.
	ReusePort bool
	// MaxConns bounds open connections; 0 leaves the engine's default
	// (90% of the open-file limit).
	MaxConns int
	// MaxBody is the request body limit of routes that set none.
	MaxBody int64
	// MaxHeader bounds a request's head, its request line and header
	// fields; larger is 431 (414 for the target alone). Default 64 KiB.
	MaxHeader int64
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// connection timeouts of the engine (server.Timeouts).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// Trace prints every request and response, bodies truncated, to
	// standard error (brick -v).
	Trace bool
	// GoroutinePerConn serves each connection on its own goroutine
	// instead of the epoll loops, for comparison.
	GoroutinePerConn bool
	// H2C serves HTTP/2 over cleartext on the plain listeners: a client
	// that starts with the HTTP/2 preface (prior knowledge) or asks for
	// "Upgrade: h2c". HTTPS listeners offer HTTP/2 by ALPN regardless.
	// Default true.
	H2C bool
}

// Log is the [log] table: the access log.
type Log struct {
	// Access is "off", "stderr", "stdout" or a file path.
	Access string
	// Format is "common", "combined" or "json".
	Format string
}

// Site is one [[site]]: the routes that answer for some Host names.
type Site struct {
	// Hosts are the lower-case names the site answers for, without port
	// or trailing dot; "*.example.com" matches any subdomain. IPv6
	// addresses are in brackets ("[2001:db8::1]"), as in a Host header.
	Hosts []string
	// Default makes the site answer requests whose Host no site names: its
	// hosts were omitted or listed "*". At most one site is the default.
	Default bool
	// Routes are tried in order; the first whose path matches answers.
	Routes []Route
	// TLS is the site's certificate for the HTTPS listeners; nil when the
	// file gives none.
	TLS *SiteTLS
	// Line is the line of the site's [[site]] header; 0 when unknown.
	Line int
}

// SiteTLS is a site's tls key: tls = { cert = "...", key = "..." },
// tls = "auto" for certificates obtained automatically (ACME), tls =
// "internal" for certificates from Brick's own CA, or tls = "off" for a
// site served on the plain listeners only.
type SiteTLS struct {
	// Mode says where the site's certificate comes from.
	Mode TLSMode
	// Files are the certificate (with its chain) and key, PEM, when
	// Mode is TLSFiles.
	certs.Files
}

// TLSMode is a site's kind of tls setting.
type TLSMode uint8

const (
	// TLSFiles serves the certificate and key files the site names.
	TLSFiles TLSMode = iota
	// TLSOff keeps the site off the HTTPS listeners.
	TLSOff
	// TLSAuto obtains and renews the site's certificate from an ACME CA
	// ([tls] acme_ca).
	TLSAuto
	// TLSInternal issues the site's certificates from Brick's own CA
	// (certs.InternalCA), for development and private names.
	TLSInternal
)

// Off reports whether the site stays off the HTTPS listeners.
func (t *SiteTLS) Off() bool { return t.Mode == TLSOff }

// String is the mode as the file writes it.
func (m TLSMode) String() string {
	switch m {
	case TLSOff:
		return "off"
	case TLSAuto:
		return "auto"
	case TLSInternal:
		return "internal"
	}
	return "files"
}

// Route is one [[site.route]]: a path prefix, exactly one action
// (Static, WSGI, CGI, PHP, Proxy, Redirect, Respond or Handler), and the options that
// apply around it.
type Route struct {
	// Path is the prefix the route matches: see Matches.
	Path string

	// Static and WSGI are the features' own configurations, decoded
	// from the file's keys as their flags set them (static.Config,
	// wsgi.Config); the feature package owns their defaults and checks.
	Static *static.Config
	WSGI   *wsgi.Config
	ASGI   *asgi.Config
	// CGI runs the scripts of a directory (cgi.Config), mounted at the
	// route's path.
	CGI *cgi.Config
	// PHP runs the .php scripts of a root on PHP-FPM and serves its
	// other files (fastcgi.Config).
	PHP *fastcgi.Config
	// Proxy sends the requests to upstream servers (proxy.Config).
	Proxy    *proxy.Config
	Redirect *Redirect
	Respond  *Respond
	// Handler names a Go handler that a program using Brick as a library
	// registers under this name.
	Handler string

	// Headers are added to every response of the route, errors included,
	// in file order; an action that sets the same name replaces them.
	Headers []Header
	// MaxBody bounds the request body; larger is 413. It is at most
	// Server.MaxBody, which bounds every request.
	MaxBody int64
	// Timeout bounds the action's work on a request, where that applies;
	// past it the client gets 504. 0: no bound beyond the action's own.
	Timeout time.Duration
	// Internal makes the route reachable only by an application's
	// X-Accel-Redirect (nginx's internal locations): requests from
	// outside that match it get 404.
	Internal bool
	// Line is the line of the route's [[site.route]] header (or of its
	// inline table); 0 when unknown.
	Line int
}

// Redirect answers with a redirection to To.
type Redirect struct {
	// To is the target: an absolute path or a full URL.
	To string
	// Status is 301, 302, 303, 307 or 308.
	Status int
	// KeepPath appends the rest of the request path after the route's
	// prefix, and the query, to To, joined by exactly one slash.
	KeepPath bool
}

// Respond answers with a fixed response.
type Respond struct {
	Status int
	Body   string
	// ContentType is sent when Body is not empty.
	ContentType string
}

// Header is one response header field.
type Header struct {
	Name  string
	Value string
}

// Action names the route's action: "static", "wsgi", "asgi", "cgi", "php", "proxy", "redirect",
// "respond" or "handler"; "" when it has none. With several (which
// Validate refuses) it names the first.
func (r *Route) Action() string {
	if a := r.actions(); len(a) > 0 {
		return a[0]
	}
	return ""
}

func (r *Route) actions() []string {
	var a []string
	if r.Static != nil {
		a = append(a, "static")
	}
	if r.WSGI != nil {
		a = append(a, "wsgi")
	}
	if r.ASGI != nil {
		a = append(a, "asgi")
	}
	if r.CGI != nil {
		a = append(a, "cgi")
	}
	if r.PHP != nil {
		a = append(a, "php")
	}
	if r.Proxy != nil {
		a = append(a, "proxy")
	}
	if r.Redirect != nil {
		a = append(a, "redirect")
	}
	if r.Respond != nil {
		a = append(a, "respond")
	}
	if r.Handler != "" {
		a = append(a, "handler")
	}
	return a
}

// Matches reports whether the route answers for the request path p (a
// decoded, normalized path). A Path ending in "/" matches every path that
// starts with it: "/static/" matches "/static/app.css" but not "/static".
// Any other Path matches itself and what lies below it, segment-wise:
// "/api" matches "/api" and "/api/users" but not "/apiary".
func (r *Route) Matches(p string) bool {
	return prefixMatches(r.Path, p)
}

func prefixMatches(prefix, p string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(p, prefix)
	}
	return p == prefix || strings.HasPrefix(p, prefix) && p[len(prefix)] == '/'
}
