// Command brick is the Brick web server.
//
//	brick                  serve the embedded default site on 127.0.0.1:8888
//	brick DIR              serve the directory DIR (brick . for the current one)
//	brick -addr :8888      listen on every interface (IPv6: -addr [::1]:8080)
//	brick -v               print every request and response to stderr
//	brick wsgi module:app  run a Python WSGI application (Flask, Django, Pyramid)
//	brick asgi module:app  run a Python ASGI application (FastAPI, Starlette, Django)
//	brick php DIR          serve a PHP site from DIR through a running PHP-FPM
//	brick proxy URL...     send every request to upstream servers (reverse proxy)
//	brick run              serve the sites and routes of brick.toml
//	brick validate         check brick.toml
//	brick help [command]   print the help of brick or of a command
//	brick version          print the version and the revision it was built from
//
// Every mode compiles to a config.Options and runs through package
// service: the quick modes' flags are the file's keys (quick.go).
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"

	"github.com/brick-server/brick/service"
	"github.com/brick-server/brick/web"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so tests can call it: help goes to
// stdout, errors and logs to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if c := lookup(args[0]); c != nil {
			return c.run(args[1:], stdout, stderr)
		}
		if code, ok := unknownCommand(args[0], stderr); ok {
			return code
		}
	}
	q, code := compileServe(args, stdout, stderr)
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
	svc, err := service.Open(service.Fixed("the command line", q.opts), handlers(), log)
	if err != nil {
		if msg, ok := listenFailure(err); ok {
			fmt.Fprintln(stderr, msg)
		} else {
			fmt.Fprintln(stderr, q.explain(err))
		}
		return 1
	}
	svc.Stderr = stderr
	svc.Expose = "-addr"
	svc.Describe(q.try, q.attrs...)
	return svc.Run()
}

// listenFailure words a listener that could not be opened, the same way
// in every mode, with what to do about it; ok is false for other errors.
func listenFailure(err error) (msg string, ok bool) {
	var le *service.ListenError
	if !errors.As(err, &le) {
		return "", false
	}
	flag := "-addr"
	if le.Admin {
		flag = "-admin"
	}
	hint := "choose another with " + flag
	switch {
	case errors.Is(le, syscall.EADDRINUSE):
		hint = "is another brick running? " + hint
	case errors.Is(le, syscall.EACCES):
		hint = "ports below 1024 need root or CAP_NET_BIND_SERVICE; " + hint
	case errors.Is(le, syscall.EADDRNOTAVAIL):
		hint = "no interface of this machine has that address; " + hint
	}
	return fmt.Sprintf("brick: %v (%s)", le, hint), true
}
