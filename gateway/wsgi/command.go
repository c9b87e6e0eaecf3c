package wsgi

import (
	"flag"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/units"
)

// RegisterFlags binds the flags of `brick wsgi` to c, whose values are the
// flags' defaults; the caller sets App from the argument. Each flag is the
// file key of the same setting with dashes for underscores (-max-memory is
// max_memory), so the command line and the file configure the same
// Config.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Dir, "chdir", c.Dir, "directory to run the workers in and import the application from")
	fs.StringVar(&c.Python, "python", c.Python, "Python interpreter (default: the first python3 that can import the application's framework)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "number of Python worker processes (0: one per CPU)")
	fs.Var((*pyproc.EnvList)(&c.Env), "env", "`NAME=value` to add to the workers' environment (repeatable)")
	fs.StringVar(&c.Mount, "mount", c.Mount, "URL prefix the application lives under (SCRIPT_NAME), e.g. /app")
	fs.Var(units.Duration{P: &c.Timeout}, "timeout", "how long the application may take to start its response, and then be silent in a streamed one, before 504 (or a cut), a logged stack and a restart: `seconds` (as gunicorn's) or a duration such as 1m30s")
	fs.Var(units.Duration{P: &c.MaxStream}, "max-stream", "bound on a whole response, streams included (`seconds` or a duration; 0: none): past it the client is cut off and the application told to stop")
	fs.Var(units.Duration{P: &c.StartTimeout}, "start-timeout", "how long a worker may take to import the application (`seconds` or a duration)")
	fs.Var(units.Duration{P: &c.Grace}, "grace", "how long a stopping worker may finish its request (`seconds` or a duration)")
	fs.IntVar(&c.MaxRequests, "max-requests", c.MaxRequests, "recycle a worker after this many requests (0: never)")
	fs.IntVar(&c.MaxRequestsJitter, "max-requests-jitter", c.MaxRequestsJitter, "add a random 0..N to -max-requests per worker (-1: a tenth of it)")
	fs.Var(units.Size{P: &c.MaxMemory}, "max-memory", "recycle a worker whose resident memory exceeds this `size`, e.g. 512MiB (0: no bound)")
	fs.BoolVar(&c.Preload, "preload", c.Preload, "import the application once and fork the workers from it (copy-on-write; define brick_post_fork() in the app's module to reopen connections)")
	fs.StringVar(&c.SendfileRoot, "sendfile-root", c.SendfileRoot, "directory whose files the application may have Brick send with X-Sendfile (default: none, X-Sendfile refused)")
	fs.IntVar(&c.QueueSize, "queue", c.QueueSize, "requests that may wait for a busy worker; more get 503")
	fs.Var(units.Duration{P: &c.QueueTimeout}, "queue-timeout", "how long (`seconds` or a duration) a request may wait for a worker (0: -timeout)")
}
