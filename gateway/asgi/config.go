package asgi

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/units"
)

// Config configures a Pool and its Handler. The zero value of each field
// means its default. The fields shared with the WSGI gateway have the
// same names, flags and file keys.
type Config struct {
	// Settings are the ones the WSGI gateway shares: App's callable
	// defaults to "app"; Workers are processes each with its own event
	// loop; Mount is root_path; Timeout bounds a request until the
	// application starts its response (past it the client gets 504 and
	// the application's task is cancelled; a response being streamed is
	// not bounded by it); StartTimeout covers the lifespan startup too.
	pyproc.Settings
	// WSGrace is how long a retiring worker (reload, recycle, shutdown)
	// keeps its open WebSockets: they live on until they close or it
	// ends, then close with 1001 (going away). Default 1 h.
	WSGrace time.Duration
	// MaxStreams bounds the scopes one worker has in flight; a request
	// that finds every worker full gets 503. Default 1000.
	MaxStreams int
	// WSPingInterval is how long a WebSocket may be silent before Brick
	// pings it; a peer silent for another interval is closed (1011), so
	// a vanished client cannot hold a WebSocket. Default 20 s, uvicorn's.
	WSPingInterval time.Duration
	// WSMaxSize bounds a message from the client, after decompression; a
	// bigger one closes the WebSocket with 1009. Default 16 MiB, uvicorn's.
	WSMaxSize int64
}

// maxWSMaxSize is the largest WSMaxSize: what one frame to a worker
// carries (worker.py's _MAX_FRAME).
const maxWSMaxSize = 1<<30 - 1

// DefaultConfig returns the defaults, in the file and on the command line
// alike. App is left for the caller.
func DefaultConfig() Config {
	return Config{
		Settings:       pyproc.DefaultSettings(),
		WSGrace:        time.Hour,
		MaxStreams:     1000,
		WSPingInterval: 20 * time.Second,
		WSMaxSize:      16 << 20,
	}
}

// asgiKind is how the shared settings' messages and flags speak of ASGI.
var asgiKind = pyproc.Kind{
	Name:        "asgi",
	AppExample:  "main:app",
	AppExamples: `"main:app", "mysite.asgi:application", "pkg:create_app()"`,
	Help: map[string]string{
		"workers":       "number of Python worker processes, each with its own event loop (0: one per CPU)",
		"mount":         "URL prefix the application lives under (root_path), e.g. /app",
		"timeout":       "how long a request may wait for the application to start its response before 504 (`seconds` or a duration such as 1m30s)",
		"start-timeout": "how long a worker may take to import the application and run its lifespan startup (`seconds` or a duration)",
		"grace":         "how long a retiring worker may finish its requests (`seconds` or a duration)",
	},
}

// Validate checks a provisioned configuration without looking at the
// machine. Every problem is a *units.FieldError naming the file key.
func (c *Config) Validate() error {
	return errors.Join(c.Settings.Validate(asgiKind,
		pyproc.Check{Key: "ws_grace", Bad: c.WSGrace <= 0, Why: "must be positive"},
		pyproc.Check{Key: "max_streams", Bad: c.MaxStreams <= 0, Why: "must be positive"},
		pyproc.Check{Key: "ws_ping_interval", Bad: c.WSPingInterval <= 0, Why: "must be positive"},
		pyproc.Check{Key: "ws_max_size", Bad: c.WSMaxSize <= 0 || c.WSMaxSize > maxWSMaxSize, Why: "must be at least 1 byte and less than 1GiB"},
	)...)
}

// validate readies a Config for NewPool: zero values mean their defaults.
func (c *Config) validate() error {
	c.FillZero()
	if c.WSGrace == 0 {
		c.WSGrace = time.Hour
	}
	d := DefaultConfig()
	if c.MaxStreams == 0 {
		c.MaxStreams = d.MaxStreams
	}
	if c.WSPingInterval == 0 {
		c.WSPingInterval = d.WSPingInterval
	}
	if c.WSMaxSize == 0 {
		c.WSMaxSize = d.WSMaxSize
	}
	c.Provision()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("asgi: %w", err)
	}
	if c.Workers == 0 {
		c.Workers = pyproc.CPUs()
	}
	return nil
}

func (c *Config) pySpec() pyproc.Spec { return c.Spec(asgiKind.Name) }

// RegisterFlags binds the flags of `brick asgi` to c, whose values are
// the defaults; the caller sets App from the argument. Each flag is the
// file key with dashes for underscores, as for `brick wsgi`.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.Settings.RegisterFlags(fs, asgiKind)
	fs.IntVar(&c.MaxStreams, "max-streams", c.MaxStreams, "requests one worker may have in flight; more get 503")
	// uvicorn's names, which users coming from it type already.
	fs.Var(units.Duration{P: &c.WSPingInterval}, "ws-ping-interval", "ping a WebSocket silent for this long (a `duration`); one silent for another interval is closed")
	fs.Var(units.Size{P: &c.WSMaxSize}, "ws-max-size", "largest WebSocket message from a client (a `size`, e.g. 1MiB); a bigger one closes it with 1009")
}
