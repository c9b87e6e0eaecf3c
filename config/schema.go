package config

import (
	"fmt"
	"net/netip"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/cgi"
	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/static"
)

// The schema of the file: which keys each table has, the type of each,
// and the hints for keys written in the wrong table.

func (d *decoder) options(tree map[string]any) *Options {
	o := &Options{File: d.file, Server: newServer(), Log: newLog(), TLS: newTLS(), pos: d.pos}
	top := d.table(nil, "", tree)
	top.hints = map[string]string{}
	for _, k := range []string{"listen", "listen_tls", "admin", "shutdown_timeout", "reload_grace", "ws_grace", "backlog", "reuseport", "max_conns", "max_body", "max_header"} {
		top.hints[k] = "it belongs in [server]"
	}
	top.hints["access"], top.hints["format"] = "it belongs in [log]", "it belongs in [log]"
	for _, k := range []string{"route", "routes"} {
		top.hints[k] = "routes belong to a site: write [[site]], then [[site.route]]"
	}
	top.hints["hosts"] = "hosts belong to a site: write [[site]] first"
	top.hints["sites"] = `did you mean "site"? write [[site]] for each one`
	if t, ok := top.sub("server", "[server]"); ok {
		d.server(t, &o.Server)
	}
	if t, ok := top.sub("tls", "[tls]"); ok {
		d.tlsTable(t, &o.TLS)
	}
	if t, ok := top.sub("log", "[log]"); ok {
		t.str("access", &o.Log.Access)
		t.str("format", &o.Log.Format)
		t.done()
	}
	for i, t := range top.tables("site", "[[site]]") {
		o.Sites = append(o.Sites, d.site(t, i))
	}
	top.done()
	return o
}

func (d *decoder) server(t *table, s *Server) {
	listenGiven := false
	if list, present, ok := t.strings("listen"); ok {
		s.Listen, listenGiven = list, true
	} else if present {
		listenGiven = true
	}
	if list, _, ok := t.strings("listen_tls"); ok {
		s.ListenTLS = list
		if !listenGiven {
			// HTTPS only: no plain listener the file did not ask for.
			s.Listen = nil
		}
	}
	t.str("admin", &s.Admin)
	t.duration("shutdown_timeout", &s.ShutdownTimeout)
	t.duration("reload_grace", &s.ReloadGrace)
	t.duration("ws_grace", &s.WSGrace)
	t.integer("backlog", &s.Backlog, 1)
	t.boolean("reuseport", &s.ReusePort)
	t.integer("max_conns", &s.MaxConns, 0)
	t.size("max_body", &s.MaxBody, true)
	t.size("max_header", &s.MaxHeader, true)
	t.duration("read_header_timeout", &s.ReadHeaderTimeout)
	t.duration("read_timeout", &s.ReadTimeout)
	t.duration("write_timeout", &s.WriteTimeout)
	t.duration("idle_timeout", &s.IdleTimeout)
	t.boolean("trace", &s.Trace)
	t.boolean("goroutine_per_conn", &s.GoroutinePerConn)
	t.boolean("h2c", &s.H2C)
	t.done()
}

func (d *decoder) site(t *table, i int) Site {
	s := Site{}
	if pl, ok := d.pos.lookup(t.path); ok {
		s.Line = pl.line
	}
	hosts, present, ok := t.strings("hosts")
	switch {
	case !present:
		s.Default = true
	case ok && len(hosts) == 0:
		d.errorf(t.path.field("hosts"), `hosts is empty; leave it out, or write ["*"], for the default site`)
	case ok:
		for _, h := range hosts {
			if h == "*" {
				s.Default = true
				continue
			}
			s.Hosts = append(s.Hosts, normalizeHost(h))
		}
	}
	if v, ok := t.get("tls"); ok {
		s.TLS = d.siteTLS(t.path.field("tls"), v)
	}
	t.hints = map[string]string{}
	for _, k := range []string{"path", "static", "wsgi", "asgi", "cgi", "php", "proxy", "redirect", "respond", "handler", "headers", "timeout"} {
		t.hints[k] = fmt.Sprintf("%s belongs to a route: write [[site.route]] before it", k)
	}
	t.hints["routes"] = `did you mean "route"? write [[site.route]] for each one`
	for j, rt := range t.tables("route", "[[site.route]]") {
		s.Routes = append(s.Routes, d.route(rt, j))
	}
	t.done()
	return s
}

func (d *decoder) route(t *table, j int) Route {
	r := Route{}
	if pl, ok := d.pos.lookup(t.path); ok {
		r.Line = pl.line
	}
	t.str("path", &r.Path)
	if st, ok := t.sub("static", "static"); ok {
		r.Static = d.static(st)
	}
	wsgiTimeout := false
	if wt, ok := t.sub("wsgi", "wsgi"); ok {
		r.WSGI = d.wsgi(wt, r.Path)
		_, wsgiTimeout = wt.m["timeout"]
	}
	asgiTimeout := false
	if at, ok := t.sub("asgi", "asgi"); ok {
		r.ASGI = d.asgi(at, r.Path)
		_, asgiTimeout = at.m["timeout"]
	}
	cgiTimeout := false
	if ct, ok := t.sub("cgi", "cgi"); ok {
		r.CGI = d.cgi(ct, r.Path)
		_, cgiTimeout = ct.m["timeout"]
	}
	phpTimeout := false
	if pt, ok := t.sub("php", "php"); ok {
		r.PHP = d.php(pt)
		_, phpTimeout = pt.m["timeout"]
	}
	proxyTimeout := false
	if pt, ok := t.sub("proxy", "proxy"); ok {
		r.Proxy = d.proxy(pt, r.Path)
		_, proxyTimeout = pt.m["timeout"]
	}
	if rt, ok := t.sub("redirect", "redirect"); ok {
		v := newRedirect()
		rt.str("to", &v.To)
		rt.integer("status", &v.Status, 0)
		rt.boolean("keep_path", &v.KeepPath)
		rt.done()
		r.Redirect = &v
	}
	if rt, ok := t.sub("respond", "respond"); ok {
		v := newRespond()
		rt.integer("status", &v.Status, 0)
		rt.str("body", &v.Body)
		rt.str("content_type", &v.ContentType)
		rt.done()
		r.Respond = &v
	}
	if t.str("handler", &r.Handler) && r.Handler == "" {
		d.errorf(t.path.field("handler"), "handler is empty; give the name the program registered the handler under")
	}
	if _, given := t.m["handler"]; given && r.Handler == "" {
		r.Handler = "?" // reported above; still an action, so that no other error follows
	}
	if hs, ok := t.pairs("headers"); ok {
		r.Headers = []Header{}
		for _, h := range hs {
			r.Headers = append(r.Headers, Header{Name: h[0], Value: h[1]})
		}
	}
	t.size("max_body", &r.MaxBody, true)
	t.duration("timeout", &r.Timeout)
	t.boolean("internal", &r.Internal)
	t.done()
	if r.WSGI != nil && r.Timeout > 0 && !wsgiTimeout {
		// The route's deadline is the application's too, unless it has
		// its own.
		r.WSGI.Timeout = r.Timeout
	}
	if r.ASGI != nil && r.Timeout > 0 && !asgiTimeout {
		r.ASGI.Timeout = r.Timeout
	}
	if r.CGI != nil && r.Timeout > 0 && !cgiTimeout {
		r.CGI.Timeout = r.Timeout
	}
	if r.PHP != nil && r.Timeout > 0 && !phpTimeout {
		r.PHP.Timeout = r.Timeout
	}
	if r.Proxy != nil && r.Timeout > 0 && !proxyTimeout {
		r.Proxy.Timeout = r.Timeout
	}
	return r
}

// static decodes a static table into the package's own configuration;
// each key is the flag of `brick DIR` with underscores for dashes.
func (d *decoder) static(t *table) *static.Config {
	v := NewStatic("")
	t.str("root", &v.Root)
	t.str("index", &v.Index)
	t.boolean("listing", &v.Listing)
	t.str("cache_control", &v.CacheControl)
	t.boolean("compress", &v.Compress)
	t.size("compress_min", &v.MinCompressSize, false)
	t.boolean("precompressed", &v.Precompressed)
	t.boolean("dotfiles", &v.Dotfiles)
	t.boolean("follow_symlinks", &v.FollowSymlinks)
	t.done()
	return v
}

// wsgi decodes a wsgi table into the package's own configuration; each
// key is the flag of `brick wsgi` with underscores for dashes.
func (d *decoder) wsgi(t *table, routePath string) *wsgi.Config {
	v := NewWSGI(routePath)
	t.str("app", &v.App)
	t.str("chdir", &v.Dir)
	t.str("python", &v.Python)
	t.integer("workers", &v.Workers, 0)
	if env, ok := t.pairs("env"); ok {
		v.Env = []string{}
		for _, kv := range env {
			v.Env = append(v.Env, kv[0]+"="+kv[1])
		}
	}
	t.str("mount", &v.Mount)
	t.duration("timeout", &v.Timeout)
	t.duration("max_stream", &v.MaxStream)
	t.duration("start_timeout", &v.StartTimeout)
	t.duration("grace", &v.Grace)
	t.integer("max_requests", &v.MaxRequests, 0)
	t.integer("max_requests_jitter", &v.MaxRequestsJitter, 0)
	t.size("max_memory", &v.MaxMemory, false)
	t.str("scheduling", &v.Scheduling)
	t.integer("queue", &v.QueueSize, 1)
	t.duration("queue_timeout", &v.QueueTimeout)
	t.str("sendfile_root", &v.SendfileRoot)
	t.boolean("preload", &v.Preload)
	t.done()
	return v
}

// asgi decodes an asgi table into the package's own configuration; each
// key is the flag of `brick asgi` with underscores for dashes.
func (d *decoder) asgi(t *table, routePath string) *asgi.Config {
	v := NewASGI(routePath)
	t.str("app", &v.App)
	t.str("chdir", &v.Dir)
	t.str("python", &v.Python)
	t.integer("workers", &v.Workers, 0)
	if env, ok := t.pairs("env"); ok {
		v.Env = []string{}
		for _, kv := range env {
			v.Env = append(v.Env, kv[0]+"="+kv[1])
		}
	}
	t.str("mount", &v.Mount)
	t.duration("timeout", &v.Timeout)
	t.duration("start_timeout", &v.StartTimeout)
	t.duration("grace", &v.Grace)
	t.duration("ws_grace", &v.WSGrace)
	t.integer("max_requests", &v.MaxRequests, 0)
	t.integer("max_requests_jitter", &v.MaxRequestsJitter, 0)
	t.size("max_memory", &v.MaxMemory, false)
	t.str("scheduling", &v.Scheduling)
	t.integer("max_streams", &v.MaxStreams, 1)
	t.duration("ws_ping_interval", &v.WSPingInterval)
	t.size("ws_max_size", &v.WSMaxSize, true)
	t.done()
	return v
}

// cgi decodes a cgi table into the package's own configuration.
func (d *decoder) cgi(t *table, routePath string) *cgi.Config {
	v := NewCGI(routePath)
	t.str("root", &v.Root)
	t.duration("timeout", &v.Timeout)
	if env, ok := t.pairs("env"); ok {
		v.Env = []string{}
		for _, kv := range env {
			v.Env = append(v.Env, kv[0]+"="+kv[1])
		}
	}
	t.boolean("pass_authorization", &v.PassAuthorization)
	t.str("temp_dir", &v.TempDir)
	t.done()
	return v
}

// php decodes a php table into the package's own configuration; each key
// is the flag of `brick php` with underscores for dashes.
func (d *decoder) php(t *table) *fastcgi.Config {
	v := NewPHP("")
	t.str("root", &v.Root)
	t.str("fastcgi", &v.FastCGI)
	t.str("index", &v.Index)
	t.duration("timeout", &v.Timeout)
	t.integer("conns", &v.Conns, 1)
	t.done()
	return v
}

// siteTLS decodes a site's tls: a mode's name ("auto", "internal",
// "off"), or a table with cert and key.
func (d *decoder) siteTLS(p path, v any) *SiteTLS {
	const want = `tls must be "auto", "internal", "off" or { cert = "cert.pem", key = "key.pem" }`
	switch v := v.(type) {
	case string:
		for _, m := range []TLSMode{TLSAuto, TLSInternal, TLSOff} {
			if v == m.String() {
				return &SiteTLS{Mode: m}
			}
		}
		d.errorf(p, "%s, not %q", want, v)
	case map[string]any:
		t := d.table(p, "tls", v)
		st := &SiteTLS{Mode: TLSFiles}
		t.str("cert", &st.Cert)
		t.str("key", &st.Key)
		t.done()
		if st.Cert == "" || st.Key == "" {
			d.errorf(p, "%s: give both cert and key", want)
			return nil
		}
		return st
	default:
		d.errorf(p, "%s, not %s", want, typeName(v))
	}
	return nil
}

// proxy decodes a proxy table into the package's own configuration.
func (d *decoder) proxy(t *table, routePath string) *proxy.Config {
	v := NewProxy(routePath)
	if to, present, ok := t.strings("to"); present && ok {
		v.To = to
	}
	t.str("policy", &v.Policy)
	t.boolean("strip_prefix", &v.StripPrefix)
	t.duration("timeout", &v.Timeout)
	if nets, present, ok := t.strings("trusted_proxies"); present && ok {
		v.TrustedProxies = []netip.Prefix{}
		for i, s := range nets {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					d.errorf(t.path.field("trusted_proxies").index(i), `trusted_proxies: %q is neither an address nor a network such as "10.0.0.0/8"`, s)
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			v.TrustedProxies = append(v.TrustedProxies, p.Masked())
		}
	}
	t.integer("max_fails", &v.MaxFails, 0)
	t.duration("fail_timeout", &v.FailTimeout)
	t.str("health_uri", &v.HealthURI)
	t.duration("health_interval", &v.HealthInterval)
	t.str("health_status", &v.HealthStatus)
	t.integer("max_idle", &v.MaxIdle, 0)
	t.duration("keepalive_timeout", &v.IdleTimeout)
	t.boolean("buffer_requests", &v.BufferRequests)
	t.boolean("buffer_responses", &v.BufferResponses)
	t.size("buffer_memory", &v.BufferMemory, false)
	t.size("buffer_max", &v.BufferMax, true)
	t.str("ca", &v.CA)
	t.boolean("tls_insecure_skip_verify", &v.TLSInsecureSkipVerify)
	t.done()
	return v
}
