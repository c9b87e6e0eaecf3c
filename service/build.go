package service

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/gateway/wsgi"
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
}

type namedPool struct {
	name string
	pool *wsgi.Pool
}

// build makes a generation from opts. Every WSGI pool is started (and its
// application imported) before build returns, so a generation is ready to
// serve the moment it is swapped in; on any error, what was started is
// stopped again.
func build(opts *config.Options, handlers Handlers, log *slog.Logger) (_ *generation, err error) {
	g := &generation{opts: opts}
	defer func() {
		if err != nil {
			g.close()
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
				return nil, fmt.Errorf("%s:%d: route %q: %w", opts.File, cr.Line, cr.Path, err)
			}
			rt := router.Route{Prefix: cr.Path, Handler: h, MaxBody: cr.MaxBody, Timeout: cr.Timeout}
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
		c := static.Defaults(cr.Static.Root)
		c.Prefix = cr.Path
		if !strings.HasSuffix(c.Prefix, "/") {
			c.Prefix += "/"
		}
		if c.Prefix == "/" {
			c.Prefix = ""
		}
		if cr.Static.Index != "" {
			c.Index = cr.Static.Index
		}
		c.Listing = cr.Static.Listing
		c.CacheControl = cr.Static.CacheControl
		c.Compress = cr.Static.Compress
		if cr.Static.CompressMin > 0 {
			c.MinCompressSize = cr.Static.CompressMin
		}
		c.Precompressed = cr.Static.Precompressed
		c.Dotfiles = cr.Static.Dotfiles
		c.FollowSymlinks = cr.Static.FollowSymlinks
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
		cw := cr.WSGI
		dir := cw.Chdir
		if dir == "" && g.opts.File != "" {
			// Like the file's other relative paths: from its directory.
			dir = filepath.Dir(g.opts.File)
		}
		c := wsgi.Config{App: cw.App, Dir: dir, Python: cw.Python, Workers: cw.Workers, Env: cw.Env,
			Mount: cw.Mount, Timeout: cw.Timeout, StartTimeout: cw.StartTimeout, Grace: cw.Grace,
			MaxRequests: cw.MaxRequests, MaxRequestsJitter: cw.MaxRequestsJitter, MaxMemory: cw.MaxMemory,
			QueueSize: cw.Queue, QueueTimeout: cw.QueueTimeout}
		pool, err := wsgi.NewPool(c, log.With("app", cw.App))
		if err != nil {
			return nil, err
		}
		g.pools = append(g.pools, namedPool{cw.App, pool})
		return wsgi.NewHandler(pool)
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

// close stops what the generation started.
func (g *generation) close() {
	for _, p := range g.pools {
		p.pool.Close()
	}
	for _, s := range g.statics {
		s.Close()
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
