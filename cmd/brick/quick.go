package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/static"
)

// The quick modes, `brick`, `brick DIR` and `brick wsgi module:app`,
// compile their flags into a config.Options, as Caddy's file-server
// command builds a config: one default site with one route at "/", served
// by package service exactly as a file's would be. Every option exists
// once, so every mode has the admin listener, the access log, metrics and
// -v. The server, static and wsgi flags bind onto the same fields the
// file's keys fill (-max-memory is max_memory), starting from the same
// defaults, except where a quick mode's differ from the file's; those are
// all here, in quickDefaults and compileServe.

// welcomeHandler is the name the embedded default site is registered
// under, for `brick` and for files that say handler = "welcome".
const welcomeHandler = "welcome"

// quick is a compiled command line.
type quick struct {
	opts *config.Options
	fs   *flag.FlagSet
	// try and attrs are what the start-up lines say.
	try   string
	attrs []any
	tls   *config.QuickTLS // -tls-cert and -tls-key
}

// quickListen is where the quick modes listen unless -addr says
// otherwise: this machine only, as gunicorn, uvicorn and Flask do, so
// that `brick .` does not publish the current directory to the network.
// A configuration file's listen defaults to every interface
// (config.DefaultListen): a file is written to be deployed.
const quickListen = "127.0.0.1:8888"

// quickDefaults are the options every quick mode starts from: the file's
// defaults, listening on quickListen, with the access log off unless
// -access-log asks for it (a terminal session wants the server's own
// messages, as Caddy's file-server does).
func quickDefaults() *config.Options {
	o := config.Defaults()
	o.Server.Listen = []string{quickListen}
	o.Log.Access = "off"
	return o
}

// listenNote and flagsNote end the help of the quick modes.
const (
	listenNote = "Brick listens on this machine only unless -addr says otherwise (-addr :8888\n" +
		"listens on every interface)."
	flagsNote = "Each flag is a key of the configuration file with dashes\n" +
		"(%s; see README: Configuration); the defaults below\n" +
		"are this command's, and differ from the file's for -addr and -access-log."
)

// serveUsage is the help of `brick [flags] [DIR]`, which lists the other
// commands too.
var serveUsage = usage{
	synopsis: []string{
		"brick [flags] [DIR]",
		"brick wsgi [flags] module:callable   run a Python WSGI application",
		"brick asgi [flags] module:app        run a Python ASGI application",
		"brick proxy [flags] UPSTREAM...      send every request to upstream servers",
		"brick run [-config FILE] [flags]     serve the sites and routes of a file",
		"brick validate [-config FILE]        check a configuration file",
		"brick help [command]                 the help of a command",
		"brick version                        the version and source revision",
	},
	about: "Without DIR, serves Brick's embedded default site: / and /hello.\n" +
		"With DIR (brick . for the current directory), serves the files under DIR:\n" +
		"GET and HEAD, index.html or a listing for directories, ranges, validators,\n" +
		"brotli/gzip; dotfiles and symlinks leading out of DIR are refused. Flags may\n" +
		"come before or after DIR. A command's name comes first: serve a directory\n" +
		"named like one as ./NAME.\n" + listenNote + "\n" +
		fmt.Sprintf(flagsNote, "-compress-min is compress_min"),
}

// wsgiUsage is the help of `brick wsgi`.
var wsgiUsage = usage{
	synopsis: []string{"brick wsgi [flags] module:callable"},
	about: "Runs a Python WSGI application (Flask, Django, Pyramid...) unchanged, in a pool\n" +
		"of Python worker processes, as gunicorn does: brick wsgi flaskapp:app\n" +
		"Without :callable, the callable is \"application\":\n" +
		"brick wsgi mysite.wsgi --chdir mysite\n" +
		"SIGHUP reloads the application's code; SIGTERM drains requests and stops.\n" +
		"Flags may come before or after the application.\n" + listenNote + "\n" +
		fmt.Sprintf(flagsNote, "-max-memory is max_memory"),
}

// asgiUsage is the help of `brick asgi`.
var asgiUsage = usage{
	synopsis: []string{"brick asgi [flags] module:app"},
	about: "Runs a Python ASGI application (FastAPI, Starlette, Django's asgi.py, Quart)\n" +
		"unchanged, on worker processes that each run one event loop (uvloop when\n" +
		"installed) with many requests in flight: brick asgi main:app\n" +
		"Without :app, the callable is \"app\"; a factory is called with ():\n" +
		"brick asgi 'pkg:create_app()'   brick asgi mysite.asgi:application --chdir mysite\n" +
		"The lifespan protocol runs at worker start and stop. SIGHUP reloads the\n" +
		"application's code without dropping requests in flight; SIGTERM drains and stops.\n" +
		"Flags may come before or after the application.\n" + listenNote + "\n" +
		fmt.Sprintf(flagsNote, "-max-memory is max_memory"),
}

// compileServe compiles `brick [flags] [DIR]`: DIR served at "/" with
// directory listings on (unlike a file's static route, since a directory
// served by hand is browsed), or without DIR the embedded welcome site.
// code is the exit code when the command line ends the run, else -1.
func compileServe(args []string, stdout, stderr io.Writer) (q *quick, code int) {
	fs := flag.NewFlagSet("brick", flag.ContinueOnError)
	o := quickDefaults()
	o.RegisterFlags(fs)
	qt := tlsFlags(fs)
	sc := static.DefaultConfig()
	sc.Listing = true
	sc.RegisterFlags(fs)
	dir, code := parseWithArg(fs, serveUsage, args, stdout, stderr, "the directory")
	if code >= 0 {
		return nil, code
	}
	if code, ok := unknownCommand(dir, stderr); ok {
		return nil, code
	}
	route := config.Route{Path: "/"}
	q = &quick{opts: o, fs: fs, tls: qt}
	if dir != "" {
		sc.Root = dir
		route.Static = &sc
		q.try, q.attrs = "/", []any{"dir", dir}
	} else {
		route.Handler = welcomeHandler
		q.try = "/hello"
	}
	o.Sites = []config.Site{{Default: true, Routes: []config.Route{route}}}
	return q, q.finish(stderr)
}

// compileWSGI compiles `brick wsgi [flags] module:callable`: the
// application at "/", or at -mount.
func compileWSGI(args []string, stdout, stderr io.Writer) (q *quick, code int) {
	fs := flag.NewFlagSet("brick wsgi", flag.ContinueOnError)
	o := quickDefaults()
	o.RegisterFlags(fs)
	qt := tlsFlags(fs)
	wc := wsgi.DefaultConfig()
	wc.RegisterFlags(fs)
	app, code := parseWithArg(fs, wsgiUsage, args, stdout, stderr, "the application")
	if code >= 0 {
		return nil, code
	}
	if app == "" {
		usageError(fs.Name(), wsgiUsage, "say which application to run, as module:callable (e.g. brick wsgi flaskapp:app)", stderr)
		return nil, 2
	}
	wc.App = app
	path := "/"
	if wc.Mount != "" {
		path = wc.Mount
	}
	o.Sites = []config.Site{{Default: true, Routes: []config.Route{{Path: path, WSGI: &wc}}}}
	q = &quick{opts: o, fs: fs, try: path, attrs: []any{"app", app}, tls: qt}
	return q, q.finish(stderr)
}

// compileASGI compiles `brick asgi [flags] module:app`: the application
// at "/", or at -mount, through the same options a file's asgi route
// decodes to.
func compileASGI(args []string, stdout, stderr io.Writer) (q *quick, code int) {
	fs := flag.NewFlagSet("brick asgi", flag.ContinueOnError)
	o := quickDefaults()
	o.RegisterFlags(fs)
	qt := tlsFlags(fs)
	ac := asgi.DefaultConfig()
	ac.RegisterFlags(fs)
	app, code := parseWithArg(fs, asgiUsage, args, stdout, stderr, "the application")
	if code >= 0 {
		return nil, code
	}
	if app == "" {
		usageError(fs.Name(), asgiUsage, "say which application to run, as module:app (e.g. brick asgi main:app)", stderr)
		return nil, 2
	}
	ac.App = app
	ac.WSGrace = o.Server.WSGrace // --ws-grace is the server's flag
	path := "/"
	if ac.Mount != "" {
		path = ac.Mount
	}
	o.Sites = []config.Site{{Default: true, Routes: []config.Route{{Path: path, ASGI: &ac}}}}
	q = &quick{opts: o, fs: fs, try: path, attrs: []any{"app", app}, tls: qt}
	return q, q.finish(stderr)
}

// finish provisions and validates the compiled options; a problem is
// reported with the flag that sets it.
func (q *quick) finish(stderr io.Writer) int {
	if q.tls != nil {
		if err := q.tls.Apply(q.opts); err != nil {
			fmt.Fprintln(stderr, q.fs.Name()+": "+err.Error())
			return 2
		}
	}
	q.opts.Provision()
	if err := q.opts.Validate(); err != nil {
		fmt.Fprintln(stderr, q.explain(err))
		return 2
	}
	return -1
}

// explain words an error about compiled options for the command line:
// each problem with the flag that sets it, when there is one, instead of
// a key path of the file the user never wrote.
func (q *quick) explain(err error) string {
	prefix := q.fs.Name() + ": "
	var list *config.Errors
	if !errors.As(err, &list) {
		// The command line has one route: naming it says nothing.
		msg := err.Error()
		for _, s := range q.opts.Sites {
			for _, r := range s.Routes {
				msg = strings.TrimPrefix(msg, fmt.Sprintf("route %q: ", r.Path))
			}
		}
		return prefix + strings.TrimPrefix(strings.TrimPrefix(msg, "wsgi: "), "asgi: ")
	}
	lines := make([]string, len(list.List))
	for i, e := range list.List {
		lines[i] = prefix + e.Message
		if f := config.FlagFor(q.fs, e.Key); f != "" {
			lines[i] = prefix + f + ": " + e.Message
		}
	}
	return strings.Join(lines, "\n")
}

// parseWithArg parses flags around one optional positional argument and
// returns it; code is the exit code when parsing ends the run, else -1.
func parseWithArg(fs *flag.FlagSet, u usage, args []string, stdout, stderr io.Writer, what string) (arg string, code int) {
	if code := parse(fs, u, args, stdout, stderr); code >= 0 {
		return "", code
	}
	if fs.NArg() == 0 {
		return "", -1
	}
	arg = fs.Arg(0)
	if code := parse(fs, u, fs.Args()[1:], stdout, stderr); code >= 0 {
		return "", code
	}
	if fs.NArg() > 0 {
		usageError(fs.Name(), u, fmt.Sprintf("unexpected argument %q after %s", fs.Arg(0), what), stderr)
		return "", 2
	}
	return arg, -1
}
