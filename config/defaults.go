package config

import (
	"strings"
	"time"
)

// Every default of the file format is here. A table starts from its
// default value and the file's keys overwrite it (newServer, newLog,
// newStatic, newWSGI, newRedirect, newRespond); then inherit fills what
// depends on other settings. The defaults match those of the engine and of
// the static and wsgi packages, so a key left out behaves as the flag left
// out does.

// DefaultListen is the address Brick listens on when [server] gives none.
const DefaultListen = ":8888"

func newServer() Server {
	return Server{
		Listen:            []string{DefaultListen},
		ShutdownTimeout:   10 * time.Second,
		ReloadGrace:       30 * time.Second,
		Backlog:           4096,
		MaxBody:           64 << 20,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       75 * time.Second,
	}
}

func newLog() Log {
	return Log{Access: "stderr", Format: "combined"}
}

// newStatic is nginx's choice rather than `brick DIR`'s: no listings.
func newStatic() Static {
	return Static{Index: "index.html", Compress: true, CompressMin: 1024, Precompressed: true}
}

// newWSGI mounts the application at the route's prefix, so that a route
// "/app/" gives SCRIPT_NAME "/app". Timeout, QueueTimeout and
// MaxRequestsJitter are left to inherit; Workers 0 is one per CPU and
// Python "" finds an interpreter, both decided by package wsgi.
func newWSGI(routePath string) WSGI {
	return WSGI{
		Mount:             strings.TrimSuffix(routePath, "/"),
		StartTimeout:      60 * time.Second,
		Grace:             30 * time.Second,
		Queue:             1024,
		MaxRequestsJitter: -1,
	}
}

func newRedirect() Redirect { return Redirect{Status: 302} }

func newRespond() Respond {
	return Respond{Status: 200, ContentType: "text/plain; charset=utf-8"}
}

// inherit fills the defaults that depend on other settings:
//   - a route's max_body is [server] max_body;
//   - wsgi.timeout is the route's timeout, else 30 s;
//   - wsgi.queue_timeout is wsgi.timeout;
//   - wsgi.max_requests_jitter is a tenth of max_requests.
func (o *Options) inherit() {
	for i := range o.Sites {
		for j := range o.Sites[i].Routes {
			r := &o.Sites[i].Routes[j]
			if r.MaxBody == 0 {
				r.MaxBody = o.Server.MaxBody
			}
			if w := r.WSGI; w != nil {
				if w.Timeout == 0 {
					w.Timeout = r.Timeout
				}
				if w.Timeout == 0 {
					w.Timeout = 30 * time.Second
				}
				if w.QueueTimeout == 0 {
					w.QueueTimeout = w.Timeout
				}
				if w.MaxRequestsJitter < 0 {
					w.MaxRequestsJitter = w.MaxRequests / 10
				}
			}
		}
	}
}
