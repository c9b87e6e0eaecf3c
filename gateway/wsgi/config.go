package wsgi

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
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

	// Timeout bounds a request from the moment a worker takes it; past
	// it the client gets 504 and the worker's stack is logged before it
	// is killed. Default 30 s, as gunicorn's.
	Timeout time.Duration
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
}

func (c *Config) validate() error {
	if c.App == "" {
		return errors.New("wsgi: no application given: say which, as module:callable (e.g. brick wsgi flaskapp:app)")
	}
	module, name, _ := strings.Cut(c.App, ":")
	if !validModule(module) {
		return fmt.Errorf("wsgi: %q is not a Python module path (expected module:callable, e.g. mysite.wsgi:application)", c.App)
	}
	if name != "" && !validModule(strings.TrimSuffix(name, "()")) {
		return fmt.Errorf("wsgi: %q is not a Python name after the colon", name)
	}
	for _, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("wsgi: environment entry %q is not K=V", kv)
		}
	}
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, 30*time.Second)
	def(&c.StartTimeout, 60*time.Second)
	def(&c.Grace, 30*time.Second)
	def(&c.QueueTimeout, c.Timeout)
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.BodyMemory <= 0 {
		c.BodyMemory = 64 << 10
	}
	if c.MaxTempFile <= 0 {
		c.MaxTempFile = 1 << 30
	}
	if c.ResponseMemory <= 0 {
		c.ResponseMemory = 1 << 20
	}
	if c.MaxRequestsJitter < 0 || c.MaxRequests < 0 {
		return errors.New("wsgi: --max-requests and its jitter must not be negative")
	}
	return nil
}

// validModule checks a dotted Python name.
func validModule(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || part[0] >= '0' && part[0] <= '9' {
			return false
		}
		for _, r := range part {
			if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9') && r < 0x80 {
				return false
			}
		}
	}
	return true
}
