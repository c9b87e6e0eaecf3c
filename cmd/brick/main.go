// Command brick is the Brick web server.
//
//	brick                  serve the embedded default site on :8888
//	brick DIR              serve the directory DIR (brick . for the current one)
//	brick -addr [::1]:8080 choose the address (IPv4 or IPv6)
//	brick -v               print every request and response to stderr
//	brick wsgi module:app  run a Python WSGI application (Flask, Django, Pyramid)
//	brick run              serve the sites and routes of brick.toml
//
// Every mode compiles to a config.Options and runs through package
// service: the quick modes' flags are the file's keys (quick.go).
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/brick-server/brick/service"
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
			q, code := compileWSGI(args[1:], stderr)
			if code >= 0 {
				return code
			}
			return q.serve(stderr)
		case "php":
			return runPHP(args[1:], stderr)
		case "run":
			return runConfig(args[1:], stderr)
		case "validate":
			return validateConfig(args[1:], os.Stdout, stderr)
		}
	}
	q, code := compileServe(args, stderr)
	if code >= 0 {
		return code
	}
	return q.serve(stderr)
}

// handlers are the Go handlers every mode knows by name.
func handlers() service.Handlers {
	return service.Handlers{welcomeHandler: web.HandlerFunc(welcome)}
}

// serve runs compiled options through the service until SIGINT or
// SIGTERM; SIGHUP applies them again (a WSGI application reloads its
// code).
func (q *quick) serve(stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	svc, err := service.New(service.Fixed("the command line", q.opts), handlers(), log)
	if err != nil {
		fmt.Fprintln(stderr, q.explain(err))
		return 1
	}
	svc.Stderr = stderr
	svc.Describe(q.try, q.attrs...)
	return svc.Run()
}
