package cgi

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/units"
	"github.com/brick-server/brick/web"
)

// Config says where a Handler finds its scripts and how it runs them.
type Config struct {
	// Root is the directory of the scripts. Nothing outside it is run:
	// a symbolic link leading out of it is not followed.
	Root string
	// Mount is the URL prefix the scripts live under, without a trailing
	// slash ("/cgi-bin"; "" for the root): a request for
	// Mount+"/sub/x.sh/more" runs Root/sub/x.sh with PATH_INFO "/more".
	Mount string
	// Timeout bounds a script's run, from its start to its exit; past it
	// its whole process group is killed, and the client gets 504 when no
	// byte of the response was sent yet, else a cut connection.
	Timeout time.Duration
	// Env adds NAME=value variables to every script's environment, which
	// otherwise holds only PATH and the meta-variables (never Brick's own
	// environment). The meta-variables win over a name given here.
	Env []string
	// PassAuthorization passes the client's Authorization field as
	// HTTP_AUTHORIZATION. Off by default, as Apache's CGIPassAuth: a
	// script should not see credentials meant for the server.
	PassAuthorization bool
	// TempDir holds request bodies while their script runs. Default:
	// os.TempDir().
	TempDir string
	// Dispatch answers the local redirects of scripts (RFC 3875 §6.2.2,
	// "Location: /path"): the server's router, so that the new path is
	// served as if requested. Nil: this handler answers them.
	Dispatch web.Handler
	// Logger receives the scripts' standard error and the failures; nil
	// uses slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of a CGI route, in the file and in
// code alike: a 30 s timeout, as the WSGI gateway's (gunicorn's), and
// Authorization withheld. Root is left for the caller.
func DefaultConfig() Config {
	return Config{Timeout: 30 * time.Second}
}

// DefaultPath is the PATH a script runs with unless Env sets one.
const DefaultPath = "/usr/local/bin:/usr/bin:/bin"

// Validate checks the values of c without looking at the machine (New
// does). Every problem is a *units.FieldError naming the file key, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, units.Errorf(key, format, args...)) }
	switch {
	case c.Root == "":
		bad("root", `cgi root is missing; give the directory of the scripts, e.g. root = "/srv/cgi-bin"`)
	case strings.ContainsRune(c.Root, 0):
		bad("root", "cgi root contains a NUL byte")
	}
	if strings.ContainsRune(c.TempDir, 0) {
		bad("temp_dir", "cgi temp_dir contains a NUL byte")
	}
	if m := c.Mount; m != "" && (m[0] != '/' || strings.HasSuffix(m, "/")) {
		bad("mount", `cgi mount %q must be "" or a path starting, and not ending, with "/" (e.g. "/cgi-bin")`, m)
	}
	if c.Timeout <= 0 {
		bad("timeout", "cgi timeout must be positive")
	}
	for _, kv := range c.Env {
		k, val, ok := strings.Cut(kv, "=")
		switch {
		case !ok || k == "":
			bad("env", "cgi env entry %q is not NAME=value", kv)
		case strings.ContainsRune(k, 0) || strings.ContainsRune(val, 0):
			bad("env."+k, "cgi env %s contains a NUL byte", k)
		}
	}
	return errors.Join(errs...)
}
