package wsgi

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/units"
)

// Config configures a Pool and its Handler. The zero value of each field
// means its default.
type Config struct {
	// App is the application, "module:callable" as gunicorn takes it;
	// the callable defaults to "application", and "module:make_app()"
	// calls a factory.
	App string
	// Dir is the directory the workers run in and import from (--chdir).
	Dir string
	// Python is the interpreter. Empty: the first python3 on PATH, or in
	// /usr/bin and /usr/local/bin, that can import what the application's
	// module imports; else python3.
	Python string
	// Workers is the number of Python processes. Default: the number of
	// CPUs.
	Workers int
	// Env adds K=V variables to the workers' environment.
	Env []string
	// Mount is the URL prefix the application lives under (SCRIPT_NAME);
	// requests outside it get 404. Default: the root.
	Mount string

	// Timeout bounds the wait for the application: from the moment a
	// worker takes a request to its response head, and then each silence
	// between two parts of a streamed body, so that a stream that keeps
	// sending (server-sent events) may last for hours. Past it the client
	// gets 504 (or a cut connection once the head went out) and the
	// worker's stack is logged before it is killed. Default 30 s, as
	// gunicorn's.
	Timeout time.Duration
	// MaxStream bounds a whole response from the moment a worker takes
	// the request; past it the client's connection is cut and the
	// application is asked to stop (its iterable's close() runs) and the
	// worker serves on. 0: no bound.
	MaxStream time.Duration
	// StartTimeout bounds a worker's import of the application.
	// Default 60 s.
	StartTimeout time.Duration
	// Grace is how long a worker that must stop may finish its request.
	// Default 30 s.
	Grace time.Duration
	// MaxRequests recycles a worker after that many requests, plus a
	// random 0..MaxRequestsJitter so workers do not all recycle at once.
	// 0: never.
	MaxRequests       int
	MaxRequestsJitter int
	// MaxMemory recycles a worker whose resident memory exceeds it, in
	// bytes. 0: no bound.
	MaxMemory int64

	// QueueSize bounds the requests waiting for a worker; beyond it they
	// get 503 with Retry-After. Default 1024.
	QueueSize int
	// QueueTimeout bounds a request's wait for a worker. Default Timeout.
	QueueTimeout time.Duration
	// BodyMemory is the largest request body kept in memory; larger ones
	// are spooled to a temporary file. Default 64 KiB.
	BodyMemory int64
	// ResponseMemory is how much of a response waiting for a slow client
	// is kept in memory before the rest goes to a temporary file.
	// Default 1 MiB.
	ResponseMemory int64
	// MaxTempFile bounds the part of one response waiting on disk for a
	// slow client; past it the worker waits for the client. Default 1 GiB,
	// as nginx's proxy_max_temp_file_size.
	MaxTempFile int64
	// TempDir holds spooled bodies. Default: os.TempDir().
	TempDir string
	// Preload imports the application once, in a zygote process, and
	// forks the workers from it: they start in milliseconds and share the
	// imported code's memory copy-on-write. What must not be shared
	// across fork (database connections) is reopened in the application
	// module's brick_post_fork(). Reload starts a new zygote.
	Preload bool
	// SendfileRoot is the directory under which an application's
	// "X-Sendfile: /path" may name files for Brick to serve; empty
	// refuses X-Sendfile. See Handler.Files.
	SendfileRoot string
}

// DefaultConfig returns the defaults of a WSGI application, in the file
// and on the command line alike: one worker per CPU (Workers 0), a 30 s
// request timeout as gunicorn's, 60 s to import the application, 30 s of
// grace, a queue of 1024 requests that wait at most the request timeout,
// recycling never, with a jitter of a tenth of MaxRequests when it is
// set. App is left for the caller.
func DefaultConfig() Config {
	return Config{
		Timeout:           30 * time.Second,
		StartTimeout:      60 * time.Second,
		Grace:             30 * time.Second,
		MaxRequestsJitter: -1, // a tenth of MaxRequests, once known: see Provision
		QueueSize:         1024,
		BodyMemory:        64 << 10,
		ResponseMemory:    1 << 20,
		MaxTempFile:       1 << 30,
	}
}

// Provision fills the defaults that depend on other settings, once every
// setting is known: QueueTimeout is Timeout, and a negative
// MaxRequestsJitter is a tenth of MaxRequests.
func (c *Config) Provision() {
	if c.QueueTimeout == 0 {
		c.QueueTimeout = c.Timeout
	}
	if c.MaxRequestsJitter < 0 {
		c.MaxRequestsJitter = c.MaxRequests / 10
	}
}

// Validate checks the values of a provisioned configuration, without
// looking at the machine. Every problem is a *units.FieldError naming the
// file key (the flag is the key with dashes), joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	switch {
	case c.App == "":
		bad("app", `wsgi app is missing; give module:callable, e.g. app = "mysite.wsgi:application"`)
	case !validApp(c.App):
		bad("app", `wsgi app %q is not a Python module path and callable, module:callable (e.g. "mysite.wsgi:application", "app:create_app()")`, c.App)
	}
	for _, f := range []struct{ key, val string }{{"chdir", c.Dir}, {"python", c.Python}, {"temp_dir", c.TempDir}, {"sendfile_root", c.SendfileRoot}} {
		if strings.ContainsRune(f.val, 0) {
			bad(f.key, "wsgi %s contains a NUL byte", f.key)
		}
	}
	for _, kv := range c.Env {
		k, val, ok := strings.Cut(kv, "=")
		switch {
		case !ok || k == "":
			bad("env", "wsgi env entry %q is not NAME=value", kv)
		case strings.ContainsRune(k, 0) || strings.ContainsRune(val, 0):
			bad("env."+k, "wsgi env %s contains a NUL byte", k)
		}
	}
	if r := c.SendfileRoot; r != "" && !filepath.IsAbs(r) {
		bad("sendfile_root", "wsgi sendfile_root %q must be an absolute directory (e.g. /srv/mysite/media)", r)
	}
	if m := c.Mount; m != "" && (m[0] != '/' || strings.HasSuffix(m, "/")) {
		bad("mount", `wsgi mount %q must be "" or a path starting, and not ending, with "/" (e.g. "/app")`, m)
	}
	for _, d := range []struct {
		key string
		bad bool
		why string
	}{
		{"workers", c.Workers < 0, "must not be negative (0: one per CPU)"},
		{"timeout", c.Timeout <= 0, "must be positive"},
		{"max_stream", c.MaxStream < 0, "must not be negative (0: no bound)"},
		{"start_timeout", c.StartTimeout <= 0, "must be positive"},
		{"grace", c.Grace <= 0, "must be positive"},
		{"max_requests", c.MaxRequests < 0, "must not be negative (0: never recycle)"},
		{"max_requests_jitter", c.MaxRequestsJitter < 0, "must not be negative"},
		{"max_memory", c.MaxMemory < 0, "must not be negative (0: no bound)"},
		{"queue", c.QueueSize <= 0, "must be positive"},
		{"queue_timeout", c.QueueTimeout <= 0, "must be positive"},
		{"body_memory", c.BodyMemory <= 0, "must be positive"},
		{"response_memory", c.ResponseMemory <= 0, "must be positive"},
		{"max_temp_file", c.MaxTempFile <= 0, "must be positive"},
	} {
		if d.bad {
			bad(d.key, "wsgi %s %s", d.key, d.why)
		}
	}
	return errors.Join(errs...)
}

// validate readies a Config for NewPool: the zero values a program
// leaves mean their defaults, then Provision and Validate.
func (c *Config) validate() error {
	d := DefaultConfig()
	def := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	def(&c.Timeout, d.Timeout)
	def(&c.StartTimeout, d.StartTimeout)
	def(&c.Grace, d.Grace)
	for _, f := range []struct{ v, dv *int64 }{{&c.BodyMemory, &d.BodyMemory}, {&c.ResponseMemory, &d.ResponseMemory}, {&c.MaxTempFile, &d.MaxTempFile}} {
		if *f.v == 0 {
			*f.v = *f.dv
		}
	}
	if c.QueueSize == 0 {
		c.QueueSize = d.QueueSize
	}
	c.Provision()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("wsgi: %w", err)
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	return nil
}

// validApp checks an application reference (see pyproc.ValidApp).
func validApp(app string) bool { return pyproc.ValidApp(app) }
