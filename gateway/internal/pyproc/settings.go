package pyproc

import (
	"flag"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/units"
)

// Settings are the settings of a Python application that the WSGI and the
// ASGI gateway share; each gateway's Config embeds them, so both take the
// same names, flags, file keys, defaults and checks. The zero value of
// each field means its default.
type Settings struct {
	// App is the application, "module:callable"; "module:make_app()"
	// calls a factory. The callable's default is the gateway's.
	App string
	// Dir is the directory the workers run in and import from (--chdir).
	Dir string
	// Python is the interpreter. Empty: the first python3 on PATH, or in
	// /usr/bin and /usr/local/bin, that can import what the application's
	// module imports (see Find); else python3.
	Python string
	// Workers is the number of Python processes. Default: the number of
	// CPUs the server may use (CPUs: the ones it may run on, bounded by a
	// cgroup CPU quota).
	Workers int
	// Env adds NAME=value variables to the workers' environment.
	Env []string
	// Mount is the URL prefix the application lives under (SCRIPT_NAME,
	// root_path); requests outside it get 404. Default: the root.
	Mount string

	// Timeout bounds the wait for the application; what it covers is the
	// gateway's (see its Config). Default 30 s, as gunicorn's.
	Timeout time.Duration
	// StartTimeout bounds a worker's import of the application (and an
	// ASGI application's lifespan startup). Default 60 s.
	StartTimeout time.Duration
	// Grace is how long a worker that must stop may finish its requests
	// in flight before it is killed. Default 30 s.
	Grace time.Duration
	// MaxRequests recycles a worker after that many requests, plus a
	// random 0..MaxRequestsJitter so workers do not all recycle at once.
	// 0: never.
	MaxRequests       int
	MaxRequestsJitter int
	// MaxMemory recycles a worker whose resident memory exceeds it, in
	// bytes. 0: no bound.
	MaxMemory int64
	// Scheduling is the workers' CPU scheduling policy: "batch" (the
	// default) or "normal". Under batch (Linux's SCHED_BATCH, same nice
	// level and CPU share) a worker woken by a request does not preempt
	// Brick's front: when the front and the workers share a busy CPU,
	// the front goes on reading and handing over the requests that are
	// ready, and each worker then serves several per wake-up instead of
	// one per context switch. With a CPU to spare the worker runs at
	// once either way. When the server may run on one CPU only, its own
	// threads run under batch too (ShareOneCPU).
	Scheduling string
}

// The scheduling policies of Settings.Scheduling.
const (
	SchedBatch  = "batch"
	SchedNormal = "normal"
)

// Kind is what the messages and flags of one gateway say differently.
type Kind struct {
	// Name names the gateway in messages: "wsgi" or "asgi".
	Name string
	// AppExample is the module:callable a message for a missing app
	// suggests.
	AppExample string
	// AppExamples lists, quoted, the forms a message for an app that is
	// not module:callable shows.
	AppExamples string
	// Help holds the help of the flags whose meaning the gateway words
	// its own way, by flag name: workers, mount, timeout, start-timeout,
	// grace.
	Help map[string]string
}

// DefaultSettings returns the defaults, in the file and on the command
// line alike: one worker per CPU (Workers 0), a 30 s request timeout,
// 60 s to start, 30 s of grace, recycling never, with a jitter of a tenth
// of MaxRequests when it is set (see Provision). App is left for the
// caller.
func DefaultSettings() Settings {
	return Settings{
		Timeout:           30 * time.Second,
		StartTimeout:      60 * time.Second,
		Grace:             30 * time.Second,
		MaxRequestsJitter: -1, // a tenth of MaxRequests, once known: see Provision
		Scheduling:        SchedBatch,
	}
}

// FillZero sets the durations a program left zero to their defaults, as
// a gateway's NewPool takes them.
func (s *Settings) FillZero() {
	d := DefaultSettings()
	for _, f := range []struct{ v, dv *time.Duration }{{&s.Timeout, &d.Timeout}, {&s.StartTimeout, &d.StartTimeout}, {&s.Grace, &d.Grace}} {
		if *f.v == 0 {
			*f.v = *f.dv
		}
	}
	if s.Scheduling == "" {
		s.Scheduling = d.Scheduling
	}
}

// Provision fills the defaults that depend on other settings, once every
// setting is known: a negative MaxRequestsJitter is a tenth of
// MaxRequests.
func (s *Settings) Provision() {
	if s.MaxRequestsJitter < 0 {
		s.MaxRequestsJitter = s.MaxRequests / 10
	}
}

// Check is one rule on a setting of the number kind: when Bad, the setting
// named by Key (the file key) is reported with Why.
type Check struct {
	Key string
	Bad bool
	Why string
}

// Validate checks provisioned settings without looking at the machine;
// extra adds the gateway's own number rules, checked after the shared
// ones. Every problem is a *units.FieldError naming the file key (the flag
// is the key with dashes).
func (s *Settings) Validate(k Kind, extra ...Check) []error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	switch {
	case s.App == "":
		bad("app", `%s app is missing; give module:callable, e.g. app = %q`, k.Name, k.AppExample)
	case !ValidApp(s.App):
		bad("app", `%s app %q is not a Python module path and callable, module:callable (e.g. %s)`, k.Name, s.App, k.AppExamples)
	}
	for _, f := range []struct{ key, val string }{{"chdir", s.Dir}, {"python", s.Python}} {
		if strings.ContainsRune(f.val, 0) {
			bad(f.key, "%s %s contains a NUL byte", k.Name, f.key)
		}
	}
	for _, kv := range s.Env {
		key, val, ok := strings.Cut(kv, "=")
		switch {
		case !ok || key == "":
			bad("env", "%s env entry %q is not NAME=value", k.Name, kv)
		case strings.ContainsRune(key, 0) || strings.ContainsRune(val, 0):
			bad("env."+key, "%s env %s contains a NUL byte", k.Name, key)
		}
	}
	if p := s.Scheduling; p != "" && p != SchedBatch && p != SchedNormal {
		bad("scheduling", `%s scheduling %q is not a policy: give "batch" (the default) or "normal"`, k.Name, p)
	}
	if m := s.Mount; m != "" && (m[0] != '/' || strings.HasSuffix(m, "/")) {
		bad("mount", `%s mount %q must be "" or a path starting, and not ending, with "/" (e.g. "/app")`, k.Name, m)
	}
	checks := append([]Check{
		{"workers", s.Workers < 0, "must not be negative (0: one per CPU)"},
		{"timeout", s.Timeout <= 0, "must be positive"},
		{"start_timeout", s.StartTimeout <= 0, "must be positive"},
		{"grace", s.Grace <= 0, "must be positive"},
		{"max_requests", s.MaxRequests < 0, "must not be negative (0: never recycle)"},
		{"max_requests_jitter", s.MaxRequestsJitter < 0, "must not be negative"},
		{"max_memory", s.MaxMemory < 0, "must not be negative (0: no bound)"},
	}, extra...)
	for _, c := range checks {
		if c.Bad {
			bad(c.Key, "%s %s %s", k.Name, c.Key, c.Why)
		}
	}
	return errs
}

// Spec is what the interpreter search and the workers' start need of s.
func (s *Settings) Spec(kind string) Spec {
	return Spec{Kind: kind, App: s.App, Dir: s.Dir, Python: s.Python, Env: s.Env, Scheduling: s.Scheduling}
}

// RegisterFlags binds the shared flags of `brick wsgi` and `brick asgi` to
// s, whose values are the defaults; the caller sets App from the argument.
// Each flag is the file key with dashes for underscores (-max-memory is
// max_memory), so the command line and the file configure the same
// settings.
func (s *Settings) RegisterFlags(fs *flag.FlagSet, k Kind) {
	fs.StringVar(&s.Dir, "chdir", s.Dir, "directory to run the workers in and import the application from")
	fs.StringVar(&s.Python, "python", s.Python, "Python interpreter (default: the first python3 that can import the application's framework)")
	fs.IntVar(&s.Workers, "workers", s.Workers, k.Help["workers"])
	fs.Var((*EnvList)(&s.Env), "env", "`NAME=value` to add to the workers' environment (repeatable)")
	fs.StringVar(&s.Mount, "mount", s.Mount, k.Help["mount"])
	fs.Var(units.Duration{P: &s.Timeout}, "timeout", k.Help["timeout"])
	fs.Var(units.Duration{P: &s.StartTimeout}, "start-timeout", k.Help["start-timeout"])
	fs.Var(units.Duration{P: &s.Grace}, "grace", k.Help["grace"])
	fs.IntVar(&s.MaxRequests, "max-requests", s.MaxRequests, "recycle a worker after this many requests (0: never)")
	fs.IntVar(&s.MaxRequestsJitter, "max-requests-jitter", s.MaxRequestsJitter, "add a random 0..N to -max-requests per worker (-1: a tenth of it)")
	fs.Var(units.Size{P: &s.MaxMemory}, "max-memory", "recycle a worker whose resident memory exceeds this `size`, e.g. 512MiB (0: no bound)")
	fs.StringVar(&s.Scheduling, "scheduling", s.Scheduling, "the workers' CPU scheduling `policy`: batch (a worker woken by a request does not preempt Brick) or normal")
}
