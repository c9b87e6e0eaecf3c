// Command brick is the Brick web server.
//
//	brick                  serve the embedded default site on :8888
//	brick DIR              serve the directory DIR (brick . for the current one)
//	brick -addr [::1]:8080 choose the address (IPv4 or IPv6)
//	brick -v               print every request and response to stderr
//	brick wsgi module:app  run a Python WSGI application (Flask, Django, Pyramid)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/service"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/web"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the exit, so tests can call it.
func run(args []string, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "wsgi":
			return runWSGI(args[1:], stderr)
		case "run":
			return runConfig(args[1:], stderr)
		case "validate":
			return validateConfig(args[1:], os.Stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("brick", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := registerServerFlags(fs)
	staticCfg := static.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brick [flags] [DIR]\n"+
			"       brick wsgi [flags] module:callable   (see brick wsgi -h)\n"+
			"       brick run -config brick.toml          (sites and routes from a file)\n"+
			"       brick validate -config brick.toml\n\n"+
			"Without DIR, serves Brick's embedded default site: / and /hello.\n"+
			"With DIR (brick . for the current directory), serves the files under DIR:\n"+
			"GET and HEAD, index.html or a listing for directories, ranges, validators,\n"+
			"brotli/gzip; dotfiles and symlinks leading out of DIR are refused.\n"+
			"Flags may come before or after DIR.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	dir, code := parseWithArg(fs, args, stderr, "the directory")
	if code >= 0 {
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var handler web.Handler = web.HandlerFunc(welcome)
	try := "/hello"
	if dir != "" {
		staticCfg.Root = dir
		staticCfg.Logger = log
		fsrv, err := static.New(*staticCfg)
		if err != nil {
			fmt.Fprintf(stderr, "brick: %v\n", err)
			return 1
		}
		defer fsrv.Close()
		handler, try = fsrv, "/"
	}
	return serve(sf, handler, log, stderr, []any{"dir", dir, "try", try}, nil)
}

// runWSGI is `brick wsgi module:callable`: a WSGI application served by a
// pool of Python workers.
func runWSGI(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("brick wsgi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := registerServerFlags(fs)
	cfg := wsgi.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brick wsgi [flags] [module:callable]\n\n"+
			"Runs a Python WSGI application (Flask, Django, Pyramid...) unchanged, in a pool of\n"+
			"Python worker processes, as gunicorn does: brick wsgi flaskapp:app\n"+
			"The callable defaults to \"application\": brick wsgi mysite.wsgi --chdir mysite\n"+
			"SIGHUP reloads the application's code; SIGTERM drains requests and stops.\n"+
			"Flags may come before or after the application.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	app, code := parseWithArg(fs, args, stderr, "the application")
	if code >= 0 {
		return code
	}
	if app == "" {
		fmt.Fprintf(stderr, "brick wsgi: say which application to run, as module:callable (e.g. brick wsgi flaskapp:app)\n")
		return 2
	}
	cfg.App = app
	cfg.Finish()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	pool, err := wsgi.NewPool(*cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, wsgiError(err))
		return 1
	}
	defer pool.Close()
	h, err := wsgi.NewHandler(pool)
	if err != nil {
		fmt.Fprintln(stderr, wsgiError(err))
		return 1
	}
	onHUP := func() {
		log.Info("SIGHUP: reloading the application")
		if err := pool.Reload(); err != nil {
			log.Error("reload failed; the running workers keep serving", "err", err)
		}
	}
	return serve(sf, h, log, stderr, []any{"app", app, "python", pool.Python(), "try", "/"}, onHUP)
}

// wsgiError words a gateway error for the terminal, without saying
// "wsgi" twice.
func wsgiError(err error) string {
	if msg := err.Error(); strings.HasPrefix(msg, "wsgi: ") {
		return "brick " + msg
	}
	return "brick wsgi: " + err.Error()
}

// parseWithArg parses flags around one optional positional argument and
// returns it; code is the exit code when parsing ends the run, else -1.
func parseWithArg(fs *flag.FlagSet, args []string, stderr io.Writer, what string) (arg string, code int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", 0
		}
		return "", 2
	}
	if fs.NArg() == 0 {
		return "", -1
	}
	arg = fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", 0
		}
		return "", 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "brick: unexpected argument %q after %s (see -h)\n", fs.Arg(0), what)
		return "", 2
	}
	return arg, -1
}

// serverFlags are the flags every way of running Brick shares.
type serverFlags struct {
	addr      *string
	verbose   *bool
	grace     *time.Duration
	reusePort *bool
	backlog   *int
	perConn   *bool
}

func registerServerFlags(fs *flag.FlagSet) *serverFlags {
	return &serverFlags{
		addr:      fs.String("addr", ":8888", "address to listen on, host:port (IPv6: [::1]:8888)"),
		verbose:   fs.Bool("v", false, "print every request and response (bodies truncated) to stderr"),
		grace:     fs.Duration("shutdown-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long in-flight requests may take to finish"),
		reusePort: fs.Bool("reuseport", false, "set SO_REUSEPORT so several brick processes can share the port"),
		backlog:   fs.Int("backlog", server.DefaultBacklog, "listen backlog (capped by net.core.somaxconn)"),
		perConn:   fs.Bool("goroutine-per-conn", false, "use a goroutine per connection instead of the epoll loops (for comparison)"),
	}
}

// serve listens and serves handler until SIGINT or SIGTERM, then drains.
// onHUP, when not nil, runs on each SIGHUP.
func serve(sf *serverFlags, handler web.Handler, log *slog.Logger, stderr io.Writer, attrs []any, onHUP func()) int {
	srv := &server.Server{Handler: handler, Logger: log, GoroutinePerConn: *sf.perConn}
	if *sf.verbose {
		srv.Trace = stderr
	}
	lns, err := service.Listeners([]string{*sf.addr}, server.ListenConfig{Backlog: *sf.backlog, ReusePort: *sf.reusePort}, log)
	if err != nil {
		fmt.Fprintf(stderr, "brick: %v\n", err)
		return 1
	}
	try := ""
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i] == "try" {
			try = attrs[i+1].(string)
			attrs = append(attrs[:i:i], attrs[i+2:]...)
			break
		}
	}
	service.LogServing(log, lns, try, attrs...)
	r := &service.Runner{Log: log, Servers: []service.Served{{Server: srv, Listeners: lns}}, Grace: *sf.grace, OnHUP: onHUP}
	return r.Run()
}
