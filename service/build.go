package service

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/cgi"
	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/router"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/web"
)

// Handlers are Go handlers a program registers by name, for the routes
// of a configuration that say handler = "name".
type Handlers map[string]web.Handler

// generation is everything one version of the configuration built: the
// router and the resources behind its routes. A reload builds a new
// generation beside the running one and retires the old one once its
// requests are done.
type generation struct {
	opts    *config.Options
	router  *router.Router
	pools   []namedPool
	statics []*static.FileServer
	phps    []*fastcgi.Handler
	proxies []namedProxy
	// tlsHosts, when some site is served over HTTPS beside plain
	// listeners, tells which plain requests are redirected.
	tlsHosts *tlsHosts

	// prev is the generation being replaced, while build runs: the pools
	// it may carry over.
	prev *generation
}

// appPool is a pool of Python workers: *wsgi.Pool or *asgi.Pool.
type appPool interface {
	// Stage starts the pool's new code beside the old: see wsgi.Pool.Stage.
	Stage() (commit func() error, abort func(), err error)
	Close() error
}

// namedPool is a generation's pool with the configuration it was started
// with (a wsgi.Config or an asgi.Config), which decides whether the next
// generation can keep it.
type namedPool struct {
	name string
	cfg  any
	pool appPool
	// carried: taken over from the previous generation, unchanged, and
	// not this generation's to close if it fails to build.
	carried bool
}

// namedProxy is a proxy route's handler with the route's path, its
// metrics label, and its configuration as the file gave it (a reload
// that leaves it as it was keeps the route's WebSockets open).
type namedProxy struct {
	route string
	cfg   proxy.Config
	h     *proxy.Handler
}

// build makes a generation from opts. Every new WSGI pool is started (its
// application imported by all its workers) before build returns, so a
// generation is ready to serve the moment it is swapped in; on any error,
// what was started is stopped again.
//
// A pool of prev whose configuration is unchanged is carried over, the
// same *wsgi.Pool, instead of being started twice: the caller reloads its
// code in place.
func build(opts *config.Options, handlers Handlers, log *slog.Logger, prev *generation) (_ *generation, err error) {
	g := &generation{opts: opts, prev: prev, tlsHosts: newTLSHosts(opts)}
	defer func() {
		g.prev = nil
		if err != nil {
			g.closeExcept(nil)
		}
	}()
	var sites []router.Site
	for si := range opts.Sites {
		cs := &opts.Sites[si]
		site := router.Site{Hosts: cs.Hosts}
		if cs.Default && !contains(cs.Hosts, "*") {
			site.Hosts = append(append([]string(nil), cs.Hosts...), "*")
		}
		for ri := range cs.Routes {
			cr := &cs.Routes[ri]
			h, err := g.handler(cr, handlers, log)
			if err != nil {
				if opts.File == "" {
					return nil, fmt.Errorf("route %q: %w", cr.Path, err)
				}
				return nil, fmt.Errorf("%s:%d: route %q: %w", opts.File, cr.Line, cr.Path, err)
			}
			rt := router.Route{Prefix: cr.Path, Handler: h, MaxBody: cr.MaxBody, Timeout: cr.Timeout, Internal: cr.Internal}
			for _, hd := range cr.Headers {
				rt.Headers = append(rt.Headers, router.Header{Name: hd.Name, Value: hd.Value})
			}
			site.Routes = append(site.Routes, rt)
		}
		sites = append(sites, site)
	}
	g.router, err = router.New(sites)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// handler makes the handler of one route.
func (g *generation) handler(cr *config.Route, handlers Handlers, log *slog.Logger) (web.Handler, error) {
	switch {
	case cr.Static != nil:
		c := *cr.Static
		c.Prefix = cr.Path
		if !strings.HasSuffix(c.Prefix, "/") {
			c.Prefix += "/"
		}
		if c.Prefix == "/" {
			c.Prefix = ""
		}
		c.Logger = log
		fs, err := static.New(c)
		if err != nil {
			return nil, err
		}
		g.statics = append(g.statics, fs)
		if !strings.HasSuffix(cr.Path, "/") {
			// "/assets" also takes "/assets" itself: send it to the
			// directory form, as a directory URL without its slash is.
			return exactRedirect(cr.Path, fs), nil
		}
		return fs, nil
	case cr.WSGI != nil:
		c := *cr.WSGI
		if c.Dir == "" && g.opts.File != "" {
			// Like the file's other relative paths: from its directory.
			c.Dir = filepath.Dir(g.opts.File)
		}
		np, err := g.pool(c, c.App, log, func(log *slog.Logger) (appPool, error) { return wsgi.NewPool(c, log) })
		if err != nil {
			return nil, err
		}
		g.pools = append(g.pools, np)
		h, err := wsgi.NewHandler(np.pool.(*wsgi.Pool))
		if err != nil {
			return nil, err
		}
		// X-Accel-Redirect goes through the router of the generation
		// that ran the application, with its internal routes open.
		h.Dispatch = web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			return g.router.ServeInternal(w, r)
		})
		if c.SendfileRoot != "" {
			// X-Sendfile's files are served as a static route's, the
			// bytes as they are on disk.
			sc := static.DefaultConfig()
			sc.Root, sc.Compress, sc.Precompressed, sc.Dotfiles, sc.Logger = c.SendfileRoot, false, false, true, log
			fs, err := static.New(sc)
			if err != nil {
				return nil, fmt.Errorf("wsgi sendfile_root: %w", err)
			}
			g.statics = append(g.statics, fs)
			h.Files = fs
		}
		return h, nil
	case cr.ASGI != nil:
		c := *cr.ASGI
		if c.Dir == "" && g.opts.File != "" {
			c.Dir = filepath.Dir(g.opts.File)
		}
		np, err := g.pool(c, c.App, log, func(log *slog.Logger) (appPool, error) { return asgi.NewPool(c, log) })
		if err != nil {
			return nil, err
		}
		g.pools = append(g.pools, np)
		return asgi.NewHandler(np.pool.(*asgi.Pool)), nil
	case cr.CGI != nil:
		c := *cr.CGI
		c.Logger = log
		// A script's "Location: /path" is served as if requested: through
		// the router of the generation that ran it.
		c.Dispatch = web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			return g.router.ServeHTTP(w, r)
		})
		return cgi.New(c)
	case cr.PHP != nil:
		c := *cr.PHP
		c.Prefix = strings.TrimSuffix(cr.Path, "/") + "/"
		if c.Prefix == "/" {
			c.Prefix = ""
		}
		c.Logger = log
		h, err := fastcgi.New(c)
		if err != nil {
			return nil, err
		}
		g.phps = append(g.phps, h)
		if !strings.HasSuffix(cr.Path, "/") {
			return exactRedirect(cr.Path, h), nil
		}
		return h, nil
	case cr.Proxy != nil:
		c := *cr.Proxy
		c.Logger = log
		p, err := proxy.New(c)
		if err != nil {
			return nil, err
		}
		g.proxies = append(g.proxies, namedProxy{route: cr.Path, cfg: *cr.Proxy, h: p})
		return p, nil
	case cr.Redirect != nil:
		return router.Redirect(cr.Redirect.To, cr.Redirect.Status, cr.Redirect.KeepPath), nil
	case cr.Respond != nil:
		return router.Respond(cr.Respond.Status, cr.Respond.ContentType, cr.Respond.Body), nil
	case cr.Handler != "":
		h, ok := handlers[cr.Handler]
		if !ok {
			return nil, fmt.Errorf("no Go handler is registered as %q", cr.Handler)
		}
		return h, nil
	}
	return nil, errors.New("route has no action")
}

// exactRedirect answers the prefix itself with a redirect to its slash
// form and passes everything else on.
func exactRedirect(prefix string, next web.Handler) web.Handler {
	return web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		if string(r.Path) == prefix {
			loc := prefix + "/"
			if r.Query != nil {
				loc += "?" + string(r.Query)
			}
			w.Header().Set("Location", loc)
			w.WriteHeader(301)
			return nil
		}
		return next.ServeHTTP(w, r)
	})
}

// pool carries over the previous generation's pool of the same
// configuration, if there is one nobody took yet, or starts a new one.
func (g *generation) pool(c any, app string, log *slog.Logger, start func(*slog.Logger) (appPool, error)) (namedPool, error) {
	if g.prev != nil {
		for _, old := range g.prev.pools {
			if reflect.DeepEqual(old.cfg, c) && !g.holds(old.pool) {
				return namedPool{name: app, cfg: c, pool: old.pool, carried: true}, nil
			}
		}
	}
	pool, err := start(log.With("app", app))
	if err != nil {
		return namedPool{}, err
	}
	return namedPool{name: app, cfg: c, pool: pool}, nil
}

// holds reports whether p is one of the generation's pools.
func (g *generation) holds(p appPool) bool {
	for _, np := range g.pools {
		if np.pool == p {
			return true
		}
	}
	return false
}

// carried lists the pools taken over from the previous generation.
func (g *generation) carried() []namedPool {
	var out []namedPool
	for _, np := range g.pools {
		if np.carried {
			out = append(out, np)
		}
	}
	return out
}

// closeExcept stops what the generation started, except the pools next
// (the generation replacing it) carries on; with next nil, the pools
// this generation carried over stay too, being the previous one's.
//
// A pool that next replaces keeps its open WebSockets for its ws_grace
// (a reload never cuts one): Close then returns once they have closed.
// A proxy route's WebSockets pass to next's route of the same
// configuration, else are kept for [server] ws_grace (proxy.Retire).
func (g *generation) closeExcept(next *generation) {
	for _, p := range g.pools {
		if next != nil && next.holds(p.pool) || next == nil && p.carried {
			continue
		}
		if ap, ok := p.pool.(*asgi.Pool); ok && next != nil {
			ap.KeepWebSockets()
		}
		p.pool.Close()
	}
	for _, s := range g.statics {
		s.Close()
	}
	for _, h := range g.phps {
		h.Close()
	}
	for _, p := range g.proxies {
		switch np := next.sameProxy(p.cfg); {
		case next == nil:
			p.h.Close()
		case np != nil:
			// The route is as it was: its WebSockets go on.
			p.h.PassTunnels(np.h)
			p.h.Close()
		default:
			p.h.Retire(g.opts.Server.WSGrace)
		}
	}
}

// sameProxy returns g's proxy route of configuration c, nil when there
// is none (or g is nil).
func (g *generation) sameProxy(c proxy.Config) *namedProxy {
	if g == nil {
		return nil
	}
	for i := range g.proxies {
		if reflect.DeepEqual(g.proxies[i].cfg, c) {
			return &g.proxies[i]
		}
	}
	return nil
}

// close stops everything the generation holds, carried pools included:
// the service is stopping, or handing over to a new binary (upgraded),
// when ASGI pools keep their open WebSockets for their ws_grace.
func (g *generation) close(upgraded bool) {
	for _, p := range g.pools {
		if ap, ok := p.pool.(*asgi.Pool); ok && upgraded {
			ap.KeepWebSockets()
		}
		p.pool.Close()
	}
	for _, s := range g.statics {
		s.Close()
	}
	for _, h := range g.phps {
		h.Close()
	}
	for _, p := range g.proxies {
		p.h.Close()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
