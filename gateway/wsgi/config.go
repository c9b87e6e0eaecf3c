package wsgi

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/units"
)

// Config configures a Pool and its Handler. The zero value of each field
// means its default.
type Config struct {
	// Settings are the ones the ASGI gateway shares: App is
	// "module:callable" as gunicorn takes it, the callable defaulting to
	// "application"; Mount is SCRIPT_NAME. Timeout bounds the wait for
	// the application: from the moment a worker takes a request to its
	// response head, and then each silence between two parts of a
	// streamed body, so that a stream that keeps sending (server-sent
	// events) may last for hours. Past it the client gets 504 (or a cut
	// connection once the head went out) and the worker's stack is logged
	// before it is killed.
	pyproc.Settings

	// MaxStream bounds a whole response from the moment a worker takes
	// the request; past it the client's connection is cut and the
	// application is asked to stop (its iterable's close() runs) and the
	// worker serves on. 0: no bound.
	MaxStream time.Duration
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
	// Default 64 KiB, as nginx's proxy_buffers: memory per slow client
	// stays small (200 clients reading 1 MiB responses at 1 KiB/s held
	// 376 MB with 1 MiB here), and a large response costs less CPU
	// through the page cache than through Go's heap.
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
		Settings:       pyproc.DefaultSettings(),
		QueueSize:      1024,
		BodyMemory:     64 << 10,
		ResponseMemory: 64 << 10,
		MaxTempFile:    1 << 30,
	}
}

// Provision fills the defaults that depend on other settings, once every
// setting is known: QueueTimeout is Timeout, and a negative
// MaxRequestsJitter is a tenth of MaxRequests.
func (c *Config) Provision() {
	if c.QueueTimeout == 0 {
		c.QueueTimeout = c.Timeout
	}
	c.Settings.Provision()
}

// Validate checks the values of a provisioned configuration, without
// looking at the machine. Every problem is a *units.FieldError naming the
// file key (the flag is the key with dashes), joined.
func (c *Config) Validate() error {
	errs := c.Settings.Validate(wsgiKind,
		pyproc.Check{Key: "max_stream", Bad: c.MaxStream < 0, Why: "must not be negative (0: no bound)"},
		pyproc.Check{Key: "queue", Bad: c.QueueSize <= 0, Why: "must be positive"},
		pyproc.Check{Key: "queue_timeout", Bad: c.QueueTimeout <= 0, Why: "must be positive"},
		pyproc.Check{Key: "body_memory", Bad: c.BodyMemory <= 0, Why: "must be positive"},
		pyproc.Check{Key: "response_memory", Bad: c.ResponseMemory <= 0, Why: "must be positive"},
		pyproc.Check{Key: "max_temp_file", Bad: c.MaxTempFile <= 0, Why: "must be positive"},
	)
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	for _, f := range []struct{ key, val string }{{"temp_dir", c.TempDir}, {"sendfile_root", c.SendfileRoot}} {
		if strings.ContainsRune(f.val, 0) {
			bad(f.key, "wsgi %s contains a NUL byte", f.key)
		}
	}
	if r := c.SendfileRoot; r != "" && !filepath.IsAbs(r) {
		bad("sendfile_root", "wsgi sendfile_root %q must be an absolute directory (e.g. /srv/mysite/media)", r)
	}
	return errors.Join(errs...)
}

// validate readies a Config for NewPool: the zero values a program
// leaves mean their defaults, then Provision and Validate.
func (c *Config) validate() error {
	d := DefaultConfig()
	c.FillZero()
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
		c.Workers = pyproc.CPUs()
	}
	return nil
}

// wsgiKind is how the shared settings' messages and flags speak of WSGI.
var wsgiKind = pyproc.Kind{
	Name:        "wsgi",
	AppExample:  "mysite.wsgi:application",
	AppExamples: `"mysite.wsgi:application", "app:create_app()"`,
	Help: map[string]string{
		"workers":       "number of Python worker processes (0: one per CPU)",
		"mount":         "URL prefix the application lives under (SCRIPT_NAME), e.g. /app",
		"timeout":       "how long the application may take to start its response, and then be silent in a streamed one, before 504 (or a cut), a logged stack and a restart: `seconds` (as gunicorn's) or a duration such as 1m30s",
		"start-timeout": "how long a worker may take to import the application (`seconds` or a duration)",
		"grace":         "how long a stopping worker may finish its request (`seconds` or a duration)",
	},
}
