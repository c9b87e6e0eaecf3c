package config

import (
	"strings"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/cgi"
	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/wire"
)

// The defaults of [server] and [log] are here; those of a static or wsgi
// route belong to its package (static.DefaultConfig, wsgi.DefaultConfig),
// and the flags of every mode start from the same values. A table starts
// from its default value and the file's keys or the flags overwrite it;
// then Provision fills what depends on other settings.

// DefaultListen is the address Brick listens on when [server] gives none.
const DefaultListen = ":8888"

// Defaults returns the options of a file that sets nothing: the [server]
// and [log] defaults, and no site. A command-line mode starts from it.
func Defaults() *Options {
	return &Options{Server: newServer(), Log: newLog(), TLS: newTLS()}
}

func newServer() Server {
	return Server{
		Listen:            []string{DefaultListen},
		ShutdownTimeout:   10 * time.Second,
		ReloadGrace:       30 * time.Second,
		WSGrace:           time.Hour,
		Backlog:           4096,
		H2C:               true,
		MaxBody:           64 << 20,
		MaxHeader:         wire.DefaultMaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       75 * time.Second,
	}
}

func newLog() Log {
	return Log{Access: "stderr", Format: "combined"}
}

// NewWSGI is wsgi.DefaultConfig for a route at routePath: mounted at the
// route's prefix, so that a route "/app/" gives SCRIPT_NAME "/app".
func NewWSGI(routePath string) *wsgi.Config {
	c := wsgi.DefaultConfig()
	c.Mount = strings.TrimSuffix(routePath, "/")
	return &c
}

// NewASGI is asgi.DefaultConfig for a route at routePath: mounted at the
// route's prefix, so that a route "/app/" gives root_path "/app"; its
// ws_grace left to Provision, which gives it [server] ws_grace.
func NewASGI(routePath string) *asgi.Config {
	c := asgi.DefaultConfig()
	c.Mount = strings.TrimSuffix(routePath, "/")
	c.WSGrace = 0 // Provision: [server] ws_grace, unless the route says
	return &c
}

// NewCGI is cgi.DefaultConfig for a route at routePath: the scripts are
// mounted at the route's prefix, so a route "/cgi-bin/" gives SCRIPT_NAME
// "/cgi-bin/x.sh".
func NewCGI(routePath string) *cgi.Config {
	c := cgi.DefaultConfig()
	c.Mount = strings.TrimSuffix(routePath, "/")
	return &c
}

// NewProxy is proxy.DefaultConfig for a route at routePath, which
// strip_prefix removes.
func NewProxy(routePath string) *proxy.Config {
	c := proxy.DefaultConfig()
	c.Prefix = routePath
	return &c
}

// NewStatic is static.DefaultConfig serving root: nginx's choice, no
// listings.
func NewStatic(root string) *static.Config {
	c := static.DefaultConfig()
	c.Root = root
	return &c
}

// NewPHP is fastcgi.DefaultConfig serving root: Debian's PHP-FPM socket,
// index.php as the front controller.
func NewPHP(root string) *fastcgi.Config {
	c := fastcgi.DefaultConfig()
	c.Root = root
	return &c
}

func newRedirect() Redirect { return Redirect{Status: 302} }

func newRespond() Respond {
	return Respond{Status: 200, ContentType: "text/plain; charset=utf-8"}
}

// Provision fills the defaults that depend on other settings, once every
// setting is known:
//   - a route's max_body is [server] max_body;
//   - a wsgi route's own derived defaults (wsgi.Config.Provision);
//   - under listen_tls, tls = "auto" for a site whose hosts are all
//     public names and which gives no tls.
//
// Parse and Load call it; a mode that builds Options in code calls it
// before Validate.
func (o *Options) Provision() {
	o.provisionTLS()
	for i := range o.Sites {
		for j := range o.Sites[i].Routes {
			r := &o.Sites[i].Routes[j]
			if r.MaxBody == 0 {
				r.MaxBody = o.Server.MaxBody
			}
			if r.WSGI != nil {
				r.WSGI.Provision()
			}
			if r.ASGI != nil {
				if r.ASGI.WSGrace == 0 {
					// One ws_grace for the process's WebSockets, Go
					// handlers' and the application's, unless the
					// route sets its own.
					r.ASGI.WSGrace = o.Server.WSGrace
				}
				r.ASGI.Provision()
			}
		}
	}
}
