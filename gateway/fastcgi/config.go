package fastcgi

import (
	"errors"
	"flag"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/units"
)

// DefaultAddress is where Debian's php8.2-fpm listens.
const DefaultAddress = "unix:/run/php/php8.2-fpm.sock"

// Config configures a PHP Handler: a document root whose .php scripts run
// on a FastCGI server (PHP-FPM) and whose other files are served as they
// are.
type Config struct {
	// Root is the document root: the directory of the scripts and files.
	// PHP-FPM must see it under the same path (SCRIPT_FILENAME).
	Root string
	// FastCGI is the server's address: "unix:/path/to.sock" or
	// "host:port".
	FastCGI string
	// Index is the script that answers for a directory, and the front
	// controller that answers paths naming no file. Default "index.php".
	Index string
	// Timeout bounds a request from the moment a connection is taken;
	// past it the client gets 504. Default 60 s, as nginx's
	// fastcgi_read_timeout.
	Timeout time.Duration
	// Conns bounds the connections open to the server at once; a request
	// beyond them waits for one. Set it to at most the pool's
	// pm.max_children: PHP-FPM gives each connection a child of its own.
	// Default 5, Debian's pm.max_children.
	Conns int

	// Prefix is the URL path the root is served under, ending in "/", as
	// static.Config's: stripped before the rest names a file, kept in
	// SCRIPT_NAME. Default: the root is served at "/".
	Prefix string
	// Logger receives the scripts' stderr and the server's failures; nil
	// uses slog.Default.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of a PHP route, in the file and on
// the command line alike: Debian's PHP-FPM socket, index.php, a 60 s
// timeout and 5 connections. Root is left for the caller.
func DefaultConfig() Config {
	return Config{FastCGI: DefaultAddress, Index: "index.php", Timeout: 60 * time.Second, Conns: 5}
}

// Validate checks the values of the configuration, without looking at
// the machine (New checks that Root is a directory). Every problem is a
// *units.FieldError naming the file key, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	if c.Root == "" {
		bad("root", `php root is empty; give the directory of the scripts, e.g. root = "/srv/wordpress"`)
	} else if strings.ContainsRune(c.Root, 0) {
		bad("root", "php root contains a NUL byte")
	}
	if why := checkAddress(c.FastCGI); why != "" {
		bad("fastcgi", "php fastcgi %q %s", c.FastCGI, why)
	}
	if !isPHP(c.Index) || strings.ContainsAny(c.Index, "/\\\x00") {
		bad("index", `php index %q must be a plain file name ending in ".php", such as "index.php"`, c.Index)
	}
	if c.Timeout <= 0 {
		bad("timeout", "php timeout must be positive")
	}
	if c.Conns <= 0 {
		bad("conns", "php conns must be positive (at most the PHP-FPM pool's pm.max_children)")
	}
	if c.Prefix != "" && (c.Prefix[0] != '/' || c.Prefix[len(c.Prefix)-1] != '/') {
		bad("prefix", "php prefix %q must start and end with a slash, e.g. /blog/", c.Prefix)
	}
	return errors.Join(errs...)
}

// checkAddress says what is wrong with a FastCGI address, or "".
func checkAddress(a string) string {
	if p, ok := strings.CutPrefix(a, "unix:"); ok {
		if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
			return `must name a socket by its absolute path, e.g. "unix:/run/php/php8.2-fpm.sock"`
		}
		return ""
	}
	host, port, err := net.SplitHostPort(a)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
		return `is neither "unix:/path/to.sock" nor "host:port" (e.g. "127.0.0.1:9000")`
	}
	return ""
}

// RegisterFlags binds the flags of a PHP route to c, whose values are the
// flags' defaults. Each flag is the file key with dashes for underscores.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.FastCGI, "fastcgi", c.FastCGI, `PHP-FPM's address: "unix:/path/to.sock" or "host:port"`)
	fs.StringVar(&c.Index, "index", c.Index, "the script for a directory, and the front controller for paths naming no file")
	fs.Var(units.Duration{P: &c.Timeout}, "timeout", "bound on a request's time in PHP; past it, 504")
	fs.IntVar(&c.Conns, "conns", c.Conns, "connections to PHP-FPM at most (at most its pm.max_children)")
}
