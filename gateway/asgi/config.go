package asgi

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/units"
)

// Config configures a Pool and its Handler. The zero value of each field
// means its default. The fields shared with the WSGI gateway have the
// same names, flags and file keys.
type Config struct {
	// App is the application, "module:callable"; the callable defaults
	// to "app", and "module:make_app()" calls a factory.
	App string
	// Dir is the directory the workers run in and import from (--chdir).
	Dir string
	// Python is the interpreter. Empty: the first python3 that can import
	// what the application's module imports (see pyproc.Find).
	Python string
	// Workers is the number of Python processes, each with its own event
	// loop. Default: the number of CPUs.
	Workers int
	// Env adds NAME=value variables to the workers' environment.
	Env []string
	// Mount is the URL prefix the application lives under (root_path);
	// requests outside it get 404. Default: the root.
	Mount string

	// Timeout bounds a request until the application starts its
	// response; past it the client gets 504 and the application's task
	// is cancelled. A response being streamed is not bounded by it.
	// Default 30 s.
	Timeout time.Duration
	// StartTimeout bounds a worker's import and lifespan startup.
	// Default 60 s.
	StartTimeout time.Duration
	// Grace is how long a retiring worker may finish its scopes in
	// flight before it is killed. Default 30 s.
	Grace time.Duration
	// WSGrace is how long a retiring worker (reload, recycle, shutdown)
	// keeps its open WebSockets: they live on until they close or it
	// ends, then close with 1001 (going away). Default 1 h.
	WSGrace time.Duration
	// MaxRequests recycles a worker after that many requests, plus a
	// random 0..MaxRequestsJitter. 0: never.
	MaxRequests       int
	MaxRequestsJitter int
	// MaxMemory recycles a worker whose resident memory exceeds it, in
	// bytes. 0: no bound.
	MaxMemory int64
	// MaxStreams bounds the scopes one worker has in flight; a request
	// that finds every worker full gets 503. Default 1000.
	MaxStreams int
}

// DefaultConfig returns the defaults, in the file and on the command line
// alike. App is left for the caller.
func DefaultConfig() Config {
	return Config{
		Timeout:           30 * time.Second,
		StartTimeout:      60 * time.Second,
		Grace:             30 * time.Second,
		WSGrace:           time.Hour,
		MaxRequestsJitter: -1, // a tenth of MaxRequests: see Provision
		MaxStreams:        1000,
	}
}

// Provision fills the defaults that depend on other settings: a negative
// MaxRequestsJitter is a tenth of MaxRequests.
func (c *Config) Provision() {
	if c.MaxRequestsJitter < 0 {
		c.MaxRequestsJitter = c.MaxRequests / 10
	}
}

// Validate checks a provisioned configuration without looking at the
// machine. Every problem is a *units.FieldError naming the file key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	switch {
	case c.App == "":
		bad("app", `asgi app is missing; give module:callable, e.g. app = "main:app"`)
	case !pyproc.ValidApp(c.App):
		bad("app", `asgi app %q is not a Python module path and callable, module:callable (e.g. "main:app", "mysite.asgi:application", "pkg:create_app()")`, c.App)
	}
	for _, f := range []struct{ key, val string }{{"chdir", c.Dir}, {"python", c.Python}} {
		if strings.ContainsRune(f.val, 0) {
			bad(f.key, "asgi %s contains a NUL byte", f.key)
		}
	}
	for _, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsRune(kv, 0) {
			bad("env", "asgi env entry %q is not NAME=value", kv)
		}
	}
	if m := c.Mount; m != "" && (m[0] != '/' || strings.HasSuffix(m, "/")) {
		bad("mount", `asgi mount %q must be "" or a path starting, and not ending, with "/" (e.g. "/app")`, m)
	}
	for _, d := range []struct {
		key string
		bad bool
		why string
	}{
		{"workers", c.Workers < 0, "must not be negative (0: one per CPU)"},
		{"timeout", c.Timeout <= 0, "must be positive"},
		{"start_timeout", c.StartTimeout <= 0, "must be positive"},
		{"grace", c.Grace <= 0, "must be positive"},
		{"ws_grace", c.WSGrace <= 0, "must be positive"},
		{"max_requests", c.MaxRequests < 0, "must not be negative (0: never recycle)"},
		{"max_requests_jitter", c.MaxRequestsJitter < 0, "must not be negative"},
		{"max_memory", c.MaxMemory < 0, "must not be negative (0: no bound)"},
		{"max_streams", c.MaxStreams <= 0, "must be positive"},
	} {
		if d.bad {
			bad(d.key, "asgi %s %s", d.key, d.why)
		}
	}
	return errors.Join(errs...)
}

// validate readies a Config for NewPool: zero values mean their defaults.
func (c *Config) validate() error {
	d := DefaultConfig()
	for _, f := range []struct{ v, dv *time.Duration }{{&c.Timeout, &d.Timeout}, {&c.StartTimeout, &d.StartTimeout}, {&c.Grace, &d.Grace}, {&c.WSGrace, &d.WSGrace}} {
		if *f.v == 0 {
			*f.v = *f.dv
		}
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = d.MaxStreams
	}
	c.Provision()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("asgi: %w", err)
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	return nil
}

func (c *Config) pySpec() pyproc.Spec {
	return pyproc.Spec{Kind: "asgi", App: c.App, Dir: c.Dir, Python: c.Python, Env: c.Env}
}

// RegisterFlags binds the flags of `brick asgi` to c, whose values are
// the defaults; the caller sets App from the argument. Each flag is the
// file key with dashes for underscores, as for `brick wsgi`.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Dir, "chdir", c.Dir, "directory to run the workers in and import the application from")
	fs.StringVar(&c.Python, "python", c.Python, "Python interpreter (default: the first python3 that can import the application's framework)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "number of Python worker processes, each with its own event loop (0: one per CPU)")
	fs.Var((*pyproc.EnvList)(&c.Env), "env", "`NAME=value` to add to the workers' environment (repeatable)")
	fs.StringVar(&c.Mount, "mount", c.Mount, "URL prefix the application lives under (root_path), e.g. /app")
	fs.Var(units.Duration{P: &c.Timeout}, "timeout", "how long a request may wait for the application to start its response before 504 (`seconds` or a duration such as 1m30s)")
	fs.Var(units.Duration{P: &c.StartTimeout}, "start-timeout", "how long a worker may take to import the application and run its lifespan startup (`seconds` or a duration)")
	fs.Var(units.Duration{P: &c.Grace}, "grace", "how long a retiring worker may finish its requests (`seconds` or a duration)")
	fs.IntVar(&c.MaxRequests, "max-requests", c.MaxRequests, "recycle a worker after this many requests (0: never)")
	fs.IntVar(&c.MaxRequestsJitter, "max-requests-jitter", c.MaxRequestsJitter, "add a random 0..N to -max-requests per worker (-1: a tenth of it)")
	fs.Var(units.Size{P: &c.MaxMemory}, "max-memory", "recycle a worker whose resident memory exceeds this `size`, e.g. 512MiB (0: no bound)")
	fs.IntVar(&c.MaxStreams, "max-streams", c.MaxStreams, "requests one worker may have in flight; more get 503")
}
