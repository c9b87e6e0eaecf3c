package wsgi

import (
	"flag"

	"github.com/brick-server/brick/internal/units"
)

// RegisterFlags binds the flags of `brick wsgi` to c, whose values are the
// flags' defaults; the caller sets App from the argument. Each flag is the
// file key of the same setting with dashes for underscores (-max-memory is
// max_memory), so the command line and the file configure the same
// Config.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.Settings.RegisterFlags(fs, wsgiKind)
	fs.Var(units.Duration{P: &c.MaxStream}, "max-stream", "bound on a whole response, streams included (`seconds` or a duration; 0: none): past it the client is cut off and the application told to stop")
	fs.BoolVar(&c.Preload, "preload", c.Preload, "import the application once and fork the workers from it (copy-on-write; define brick_post_fork() in the app's module to reopen connections)")
	fs.StringVar(&c.SendfileRoot, "sendfile-root", c.SendfileRoot, "directory whose files the application may have Brick send with X-Sendfile (default: none, X-Sendfile refused)")
	fs.IntVar(&c.QueueSize, "queue", c.QueueSize, "requests that may wait for a busy worker; more get 503")
	fs.Var(units.Duration{P: &c.QueueTimeout}, "queue-timeout", "how long (`seconds` or a duration) a request may wait for a worker (0: -timeout)")
}
