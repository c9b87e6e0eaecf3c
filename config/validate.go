package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/brick-server/brick/internal/units"
	"github.com/brick-server/brick/wire"
)

// Validate checks the options as a whole and returns a *Errors listing
// every problem, or nil. Parse and Load have already called it; call it
// again after changing the options in code. Problems carry their line in
// the file when the options came from Parse or Load.
//
// It checks values, not the machine: whether directories exist is for
// CheckPaths, and whether handlers are registered for CheckHandlers.
func (o *Options) Validate() error {
	return asError(o.validate())
}

type validator struct {
	o    *Options
	errs []*Error
}

// errorf reports a problem at the key path p; line is the fallback when
// the options carry no positions.
func (v *validator) errorf(p path, line int, format string, args ...any) {
	e := &Error{File: v.o.File, Key: p.String(), key: p, Message: fmt.Sprintf(format, args...)}
	if pl, ok := v.o.pos.lookup(p); ok {
		e.Line, e.Column = pl.line, pl.col
	} else {
		e.Line = line
	}
	v.errs = append(v.errs, e)
}

func (o *Options) validate() []*Error {
	v := &validator{o: o}
	v.server()
	v.log()
	v.sites()
	v.tls()
	return v.errs
}

func (v *validator) server() {
	s, p := &v.o.Server, path{"server"}
	if len(s.Listen) == 0 && len(s.ListenTLS) == 0 {
		v.errorf(p.field("listen"), 0, `server.listen is empty; give at least one address, e.g. ":8080" (or listen_tls for HTTPS)`)
	}
	seen := map[string]bool{}
	for _, key := range []string{"listen", "listen_tls"} {
		list := s.Listen
		if key == "listen_tls" {
			list = s.ListenTLS
		}
		for i, a := range list {
			switch why := checkAddr(a); {
			case why != "":
				v.errorf(p.field(key).index(i), 0, "%s: %s", key, why)
			case seen[a] && !strings.HasSuffix(a, ":0"):
				v.errorf(p.field(key).index(i), 0, "%s: %q is given twice", key, a)
			}
			seen[a] = true
		}
	}
	if s.Admin != "" {
		if why := checkAddr(s.Admin); why != "" {
			v.errorf(p.field("admin"), 0, "admin: %s", why)
		} else if seen[s.Admin] && !strings.HasSuffix(s.Admin, ":0") {
			// (Port 0 picks a free port for each listener: no clash.)
			v.errorf(p.field("admin"), 0, "admin: %q is also a listen address; the admin listener needs its own", s.Admin)
		}
	}
	for _, d := range []struct {
		key string
		bad bool
	}{
		{"shutdown_timeout", s.ShutdownTimeout <= 0},
		{"reload_grace", s.ReloadGrace <= 0},
		{"ws_grace", s.WSGrace <= 0},
		{"backlog", s.Backlog <= 0},
		{"max_body", s.MaxBody <= 0},
		{"max_header", s.MaxHeader <= 0},
		{"read_header_timeout", s.ReadHeaderTimeout <= 0},
		{"read_timeout", s.ReadTimeout <= 0},
		{"write_timeout", s.WriteTimeout <= 0},
		{"idle_timeout", s.IdleTimeout <= 0},
	} {
		if d.bad {
			v.errorf(p.field(d.key), 0, "server.%s must be positive", d.key)
		}
	}
	if s.MaxConns < 0 {
		v.errorf(p.field("max_conns"), 0, "server.max_conns must not be negative (0: the engine's default)")
	}
}

func (v *validator) log() {
	l, p := &v.o.Log, path{"log"}
	if l.Access == "" {
		v.errorf(p.field("access"), 0, `log.access is empty; write "off", "stderr", "stdout" or a file path`)
	} else if strings.ContainsRune(l.Access, 0) {
		v.errorf(p.field("access"), 0, "log.access contains a NUL byte")
	}
	switch l.Format {
	case "common", "combined", "json":
	default:
		v.errorf(p.field("format"), 0, `log.format %q is not one of "common", "combined", "json"`, l.Format)
	}
}

func (v *validator) sites() {
	if len(v.o.Sites) == 0 {
		v.errorf(path{"site"}, 0, "the file declares no site; add a [[site]] with at least one [[site.route]]")
		v.errs[len(v.errs)-1].Key = "" // the whole file's problem
	}
	defaultSite := -1
	hosts := map[string]int{} // host → index of the site serving it
	for i := range v.o.Sites {
		s := &v.o.Sites[i]
		p := path{"site"}.index(i)
		if s.Default {
			if defaultSite >= 0 {
				v.errorf(p, s.Line, "a second default site: %s is already the default (a site whose hosts are left out, or include \"*\", is the default)", v.siteName(defaultSite))
			} else {
				defaultSite = i
			}
		}
		for _, h := range s.Hosts {
			key := strings.ToLower(h)
			if why := checkHost(key); why != "" {
				v.errorf(p.field("hosts"), s.Line, "%s", why)
				continue
			}
			switch j, dup := hosts[key]; {
			case dup && j == i:
				v.errorf(p.field("hosts"), s.Line, "host %q is listed twice", h)
			case dup:
				v.errorf(p.field("hosts"), s.Line, "host %q is already served by %s", h, v.siteName(j))
			default:
				hosts[key] = i
			}
		}
		if len(s.Routes) == 0 {
			v.errorf(p.field("route"), s.Line, "the site has no routes; add a [[site.route]] after its [[site]]")
		}
		validPath := make([]bool, len(s.Routes))
		for j := range s.Routes {
			validPath[j] = checkPath(s.Routes[j].Path) == ""
		}
		for j := range s.Routes {
			v.route(s, j, p.field("route").index(j), validPath)
		}
	}
}

// siteName names a site in messages by its line, or by its number.
func (v *validator) siteName(i int) string {
	if pl, ok := v.o.pos.lookup(path{"site"}.index(i)); ok {
		return fmt.Sprintf("the site at line %d", pl.line)
	}
	if l := v.o.Sites[i].Line; l > 0 {
		return fmt.Sprintf("the site at line %d", l)
	}
	return fmt.Sprintf("site %d", i+1)
}

func (v *validator) route(s *Site, j int, p path, validPath []bool) {
	r := &s.Routes[j]
	if !validPath[j] {
		v.errorf(p.field("path"), r.Line, "%s", checkPath(r.Path))
	} else {
		for k := range j {
			prev := &s.Routes[k]
			if validPath[k] && prefixMatches(prev.Path, r.Path) {
				v.errorf(p, r.Line, "route %q is never reached: route %q%s comes first and matches every request it would; put the longer path first", r.Path, prev.Path, v.lineNote(p[:2].field("route").index(k), prev.Line))
				break
			}
		}
	}
	switch acts := r.actions(); len(acts) {
	case 0:
		v.errorf(p, r.Line, "route %q has no action; give one of static, wsgi, asgi, cgi, php, proxy, redirect, respond or handler", r.Path)
	case 1:
	default:
		v.errorf(p, r.Line, "route %q has %s actions (%s); keep one", r.Path, countWord(len(acts)), andList(acts))
	}
	if r.Static != nil {
		v.feature(r.Static.Validate(), p.field("static"), r.Line)
	}
	if r.WSGI != nil {
		v.wsgi(r, p.field("wsgi"))
	}
	if r.ASGI != nil {
		v.asgi(r, p.field("asgi"))
	}
	if r.CGI != nil {
		v.feature(r.CGI.Validate(), p.field("cgi"), r.Line)
	}
	if r.PHP != nil {
		v.feature(r.PHP.Validate(), p.field("php"), r.Line)
	}
	if r.Proxy != nil {
		v.feature(r.Proxy.Validate(), p.field("proxy"), r.Line)
	}
	if r.Redirect != nil {
		v.redirect(r, p.field("redirect"))
	}
	if r.Respond != nil {
		v.respond(r.Respond, p.field("respond"), r.Line)
	}
	if r.Handler != "" && strings.ContainsFunc(r.Handler, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) {
		v.errorf(p.field("handler"), r.Line, "handler name %q contains spaces or control characters", r.Handler)
	}
	v.headers(r, p.field("headers"))
	switch srv := v.o.Server.MaxBody; {
	case r.MaxBody <= 0:
		v.errorf(p.field("max_body"), r.Line, "max_body must be positive")
	case srv > 0 && r.MaxBody > srv:
		v.errorf(p.field("max_body"), r.Line, "max_body %s is above [server] max_body %s, which bounds every request; raise that one too", units.FormatSize(r.MaxBody), units.FormatSize(srv))
	}
	if r.Timeout < 0 {
		v.errorf(p.field("timeout"), r.Line, "timeout must not be negative")
	}
}

// lineNote says " (line N)" for the route at key path p, when known.
func (v *validator) lineNote(p path, line int) string {
	if pl, ok := v.o.pos.lookup(p); ok {
		line = pl.line
	}
	if line > 0 {
		return fmt.Sprintf(" (line %d)", line)
	}
	return ""
}

// percentEncoded reports a "%XX" escape in s.
func percentEncoded(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// checkPath returns what is wrong with a route's path prefix, or "".
func checkPath(p string) string {
	switch {
	case p == "":
		return `the route has no path; give a prefix such as path = "/"`
	case p[0] != '/':
		return fmt.Sprintf("path %q must start with \"/\"", p)
	case strings.ContainsAny(p, "?#"):
		return fmt.Sprintf(`path %q: a route matches the path alone, without "?" or "#"`, p)
	case strings.ContainsFunc(p, func(c rune) bool { return c < ' ' || c == 0x7f }):
		return fmt.Sprintf("path %q contains a control character", p)
	case strings.Contains(p, "\\"):
		return fmt.Sprintf("path %q contains a backslash", p)
	case percentEncoded(p):
		return fmt.Sprintf(`path %q looks percent-encoded; write it decoded ("/café/", "/a b/"): requests are matched once decoded`, p)
	case strings.Contains(p, "//"):
		return fmt.Sprintf(`path %q has an empty segment ("//")`, p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return fmt.Sprintf(`path %q has a %q segment; requests are matched after those are removed`, p, seg)
		}
	}
	return ""
}

// feature reports the problems a feature's Validate found, each at its
// key under p; err joins *units.FieldError values.
func (v *validator) feature(err error, p path, line int) {
	if err == nil {
		return
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var fe *units.FieldError
		if errors.As(e, &fe) {
			kp := p
			for _, k := range strings.Split(fe.Key, ".") {
				kp = kp.field(k)
			}
			v.errorf(kp, line, "%s", fe.Message)
		} else {
			v.errorf(p, line, "%v", e)
		}
	}
}

func (v *validator) wsgi(r *Route, p path) {
	w := r.WSGI
	v.feature(w.Validate(), p, r.Line)
	m := w.Mount
	if checkPath(r.Path) == "" && m != "" && m[0] == '/' && !strings.HasSuffix(m, "/") && r.Path != m && !strings.HasPrefix(r.Path, m+"/") {
		v.errorf(p.field("mount"), r.Line, "wsgi mount %q does not hold the route's path %q: the application would answer 404 to the route's requests", m, r.Path)
	}
}

func (v *validator) asgi(r *Route, p path) {
	a := r.ASGI
	v.feature(a.Validate(), p, r.Line)
	m := a.Mount
	if checkPath(r.Path) == "" && m != "" && m[0] == '/' && !strings.HasSuffix(m, "/") && r.Path != m && !strings.HasPrefix(r.Path, m+"/") {
		v.errorf(p.field("mount"), r.Line, "asgi mount %q does not hold the route's path %q: the application would answer 404 to the route's requests", m, r.Path)
	}
}

func (v *validator) redirect(r *Route, p path) {
	rd, line := r.Redirect, r.Line
	switch rd.Status {
	case 301, 302, 303, 307, 308:
	default:
		v.errorf(p.field("status"), line, "redirect status %d is not one of 301, 302, 303, 307, 308", rd.Status)
	}
	to := rd.To
	if to == "" {
		v.errorf(p.field("to"), line, `redirect "to" is empty; give a path ("/new/") or a URL ("https://example.com/new/")`)
		return
	}
	if strings.ContainsFunc(to, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		v.errorf(p.field("to"), line, "redirect to %q contains a space or a control character; percent-encode it", to)
		return
	}
	if u, err := url.Parse(to); err != nil || to[0] != '/' && (u.Scheme == "" || u.Host == "") {
		v.errorf(p.field("to"), line, `redirect to %q must be an absolute path ("/new/") or a full URL ("https://example.com/new/")`, to)
		return
	}
	if rd.KeepPath && strings.ContainsAny(to, "?#") {
		v.errorf(p.field("to"), line, "redirect to %q has a query or fragment, but keep_path appends the rest of the path and the query to it", to)
	}
}

func (v *validator) respond(rs *Respond, p path, line int) {
	switch {
	case rs.Status >= 100 && rs.Status < 200:
		v.errorf(p.field("status"), line, "respond status %d must be from 200 to 599: 1xx responses are interim, never final", rs.Status)
	case rs.Status < 200 || rs.Status > 599:
		v.errorf(p.field("status"), line, "respond status %d must be from 200 to 599", rs.Status)
	case (rs.Status == 204 || rs.Status == 304) && rs.Body != "":
		v.errorf(p.field("body"), line, "a %d response has no body (RFC 9110 §15); remove body", rs.Status)
	}
	if why := wire.FieldValueProblem(rs.ContentType); why != "" {
		v.errorf(p.field("content_type"), line, "respond content_type contains %s", why)
	}
}

// frameHeaders are the fields the server writes itself to frame the
// message or manage the connection; a route may not set them.
var frameHeaders = map[string]bool{
	"content-length": true, "transfer-encoding": true, "connection": true, "keep-alive": true,
	"upgrade": true, "te": true, "trailer": true, "proxy-connection": true,
}

func (v *validator) headers(r *Route, p path) {
	seen := map[string]bool{}
	for _, h := range r.Headers {
		hp := p.field(h.Name)
		lower := strings.ToLower(h.Name)
		switch {
		case !isToken(h.Name):
			v.errorf(hp, r.Line, "header name %q is not a valid field name (letters, digits and !#$%%&'*+-.^_`|~)", h.Name)
		case frameHeaders[lower]:
			v.errorf(hp, r.Line, "header %s is the server's to set: it frames the message or manages the connection", h.Name)
		case seen[lower]:
			v.errorf(hp, r.Line, "header %s is set twice (names are case-insensitive)", h.Name)
		}
		seen[lower] = true
		if why := wire.FieldValueProblem(h.Value); why != "" {
			v.errorf(hp, r.Line, "the value of header %s contains %s", h.Name, why)
		}
	}
}

func countWord(n int) string {
	if n >= 2 && n <= 5 {
		return [...]string{"two", "three", "four", "five"}[n-2]
	}
	return fmt.Sprint(n)
}

// andList writes "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
