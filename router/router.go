package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Header is a response header field a route adds.
type Header struct {
	Name  string
	Value string
}

// Route is one path prefix of a site and what answers under it.
type Route struct {
	// Prefix is the decoded path the route takes: with a trailing slash
	// the paths under it, without one that path and the paths under it.
	// Empty is "/".
	Prefix string
	// Handler answers the route's requests.
	Handler web.Handler
	// Headers are added to every response of the route.
	Headers []Header
	// MaxBody bounds the request body in bytes (413 past it); 0 leaves the
	// server's limit, which also bounds a larger value.
	MaxBody int64
	// Timeout is the deadline of the request's context; 0 sets none.
	Timeout time.Duration
	// Internal makes the route reachable only through ServeInternal (an
	// application's X-Accel-Redirect), as nginx's internal locations:
	// ServeHTTP answers a request that matches it 404.
	Internal bool
	// Name labels the route in logs and metrics; New fills in the prefix
	// when empty.
	Name string
}

// Site is a set of host names and the routes that serve them.
type Site struct {
	// Hosts are the names the site answers for, without a port: exact
	// names ("example.com", "[::1]") and wildcards ("*.example.com"). "*"
	// or no host at all makes it the default site.
	Hosts []string
	// Routes are tried in order; the first whose prefix matches answers.
	Routes []Route
	// Name labels the site in logs and metrics; New fills in the first
	// host, or "default", when empty.
	Name string
}

// Router is a web.Handler choosing a site by Host and a route by path.
// See the package documentation.
type Router struct {
	sites []*siteEntry
	exact map[string]*siteEntry
	wild  map[string]*siteEntry // by suffix: "example.com" for "*.example.com"
	def   *siteEntry
}

var _ web.Handler = (*Router)(nil)

type siteEntry struct {
	site   Site // a copy, with its own Routes
	routes []route
}

// route is a Route ready to serve.
type route struct {
	r       *Route // in siteEntry.site.Routes
	prefix  string
	handler web.Handler // r.Handler, or a built-in bound to the prefix
}

// The errors a Router answers with itself. Built once: returning them
// allocates nothing.
var (
	errNoSite     = web.Error(404, errors.New("router: no site for this host"))
	errNoRoute    = web.Error(404, errors.New("router: no route for this path"))
	errBadRequest = web.Error(400, errBadPath)
	errTooLarge   = web.Error(413, errors.New("router: request body larger than the route allows"))
)

// binder is implemented by built-in handlers that need their route's prefix.
type binder interface {
	bind(prefix string) web.Handler
}

// validator is implemented by built-in handlers whose settings New checks.
type validator interface {
	validate() error
}

// New checks the sites and builds a Router. The sites are copied: changing
// them afterwards does not change the Router.
func New(sites []Site) (*Router, error) {
	rt := &Router{exact: map[string]*siteEntry{}, wild: map[string]*siteEntry{}}
	for i := range sites {
		s := sites[i]
		s.Hosts = append([]string(nil), s.Hosts...)
		s.Routes = append([]Route(nil), s.Routes...)
		if s.Name == "" {
			s.Name = "default"
			if len(s.Hosts) > 0 && s.Hosts[0] != "*" && s.Hosts[0] != "" {
				s.Name = s.Hosts[0]
			}
		}
		e := &siteEntry{site: s}
		where := fmt.Sprintf("router: site %q", e.site.Name)
		isDefault := len(e.site.Hosts) == 0
		for _, h := range e.site.Hosts {
			if h == "*" || h == "" {
				isDefault = true
				continue
			}
			name, wild, err := normalHost(h)
			if err != nil {
				return nil, fmt.Errorf("%s: host %q: %v", where, h, err)
			}
			m := rt.exact
			if wild {
				m = rt.wild
			}
			if m[name] != nil {
				return nil, fmt.Errorf("%s: host %q is already another site's", where, h)
			}
			m[name] = e
		}
		if isDefault {
			if rt.def != nil {
				return nil, fmt.Errorf("%s: a second default site (%q is one)", where, rt.def.site.Name)
			}
			rt.def = e
		}
		for j := range e.site.Routes {
			ro, err := newRoute(&e.site.Routes[j])
			if err != nil {
				return nil, fmt.Errorf("%s: route %q: %v", where, e.site.Routes[j].Prefix, err)
			}
			e.routes = append(e.routes, ro)
		}
		rt.sites = append(rt.sites, e)
	}
	return rt, nil
}

func newRoute(r *Route) (route, error) {
	if r.Prefix == "" {
		r.Prefix = "/"
	}
	if err := checkPrefix(r.Prefix); err != nil {
		return route{}, fmt.Errorf("prefix %v", err)
	}
	if r.Name == "" {
		r.Name = r.Prefix
	}
	if r.Handler == nil {
		return route{}, errors.New("no handler")
	}
	if r.MaxBody < 0 || r.Timeout < 0 {
		return route{}, errors.New("negative MaxBody or Timeout")
	}
	r.Headers = append([]Header(nil), r.Headers...)
	for _, h := range r.Headers {
		if !wire.IsToken([]byte(h.Name)) || !wire.IsFieldValue([]byte(h.Value)) {
			return route{}, fmt.Errorf("header %q: not a valid field name and value", h.Name)
		}
	}
	h := r.Handler
	if v, ok := h.(validator); ok {
		if err := v.validate(); err != nil {
			return route{}, err
		}
	}
	if b, ok := h.(binder); ok {
		h = b.bind(r.Prefix)
	}
	return route{r: r, prefix: r.Prefix, handler: h}, nil
}

// Sites returns the router's sites, with their names filled in, in the
// order given to New. They must not be changed.
func (rt *Router) Sites() []*Site {
	out := make([]*Site, len(rt.sites))
	for i, e := range rt.sites {
		out[i] = &e.site
	}
	return out
}

// Match returns the site and the route r goes to. The site is nil when no
// site takes r's host; the route is nil when no route of the site takes
// its path, or the path is refused. Both point into the Router and must
// not be changed. Match allocates nothing.
func (rt *Router) Match(r *web.Request) (site *Site, route *Route) {
	e := rt.site(r.Host)
	if e == nil {
		return nil, nil
	}
	var buf [pathBufSize]byte
	p, ok := matchPath(buf[:0], r.Path)
	if !ok {
		return &e.site, nil
	}
	if ro := e.match(p); ro != nil {
		return &e.site, ro.r
	}
	return &e.site, nil
}

func (e *siteEntry) match(p []byte) *route {
	for i := range e.routes {
		if hasPathPrefix(p, e.routes[i].prefix) {
			return &e.routes[i]
		}
	}
	return nil
}

// ServeHTTP routes r to its site and route, and records their names on r
// (r.Site and r.Route, the Router's own strings) for the server's
// Observer: an access log or metrics read what matched without routing
// the request again.
func (rt *Router) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	return rt.serve(w, r, false)
}

// ServeInternal routes r as ServeHTTP does, with the Internal routes
// open: a gateway serves an application's X-Accel-Redirect through it.
func (rt *Router) ServeInternal(w web.ResponseWriter, r *web.Request) error {
	return rt.serve(w, r, true)
}

func (rt *Router) serve(w web.ResponseWriter, r *web.Request, internal bool) error {
	e := rt.site(r.Host)
	if e == nil {
		return errNoSite
	}
	r.Site = e.site.Name
	var buf [pathBufSize]byte
	p, ok := matchPath(buf[:0], r.Path)
	if !ok {
		return errBadRequest
	}
	ro := e.match(p)
	if ro == nil || ro.r.Internal && !internal {
		return errNoRoute
	}
	r.Route = ro.r.Name
	return ro.serve(w, r, internal)
}

// testHookRoute, set only by tests, runs each time a request is routed
// (ServeHTTP or Match looks its site up).
var testHookRoute func()

func (ro *route) serve(w web.ResponseWriter, r *web.Request, internal bool) error {
	if hs := ro.r.Headers; len(hs) > 0 {
		h := w.Header()
		if internal {
			// Through an X-Accel-Redirect the response is this route's:
			// its fields replace those the route that ran the
			// application set, as nginx applies only the internal
			// location's add_header. Repeating them could make a field
			// invalid ("X-Frame-Options: DENY, SAMEORIGIN").
			for i := range hs {
				h.Del(hs[i].Name)
			}
		}
		for i := range hs {
			h.Add(hs[i].Name, hs[i].Value)
		}
	}
	if limit := ro.r.MaxBody; limit > 0 {
		if r.ContentLength > limit {
			return errTooLarge
		}
		if r.ContentLength < 0 {
			return ro.serveLimited(w, r, limit)
		}
	}
	if ro.r.Timeout > 0 {
		return ro.serveTimeout(w, r)
	}
	return ro.handler.ServeHTTP(w, r)
}

// serveLimited serves a chunked request with its body bounded.
func (ro *route) serveLimited(w web.ResponseWriter, r *web.Request, limit int64) error {
	lb := &limitedBody{r: r.Body, left: limit}
	orig := r.Body
	r.Body = lb
	defer func() { r.Body = orig }()
	var err error
	if ro.r.Timeout > 0 {
		err = ro.serveTimeout(w, r)
	} else {
		err = ro.handler.ServeHTTP(w, r)
	}
	if err != nil && lb.tripped && web.StatusOf(err) != 413 {
		// The handler's error most likely comes from the body it could
		// not read: answer what the client has to fix.
		return web.Error(413, err)
	}
	return err
}

// serveTimeout serves r with a deadline on its context.
func (ro *route) serveTimeout(w web.ResponseWriter, r *web.Request) error {
	orig := r.Context()
	ctx, cancel := context.WithTimeout(orig, ro.r.Timeout)
	defer cancel()
	r.SetContext(ctx)
	defer r.SetContext(orig)
	return ro.handler.ServeHTTP(w, r)
}
