// Command brick is the Brick web server.
//
//	brick                  serve the embedded default site on :8888
//	brick DIR              serve the directory DIR (brick . for the current one)
//	brick -addr [::1]:8080 choose the address (IPv4 or IPv6)
//	brick -v               print every request and response to stderr
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/web"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the exit, so tests can call it.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("brick", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8888", "address to listen on, host:port (IPv6: [::1]:8888)")
	verbose := fs.Bool("v", false, "print every request and response (bodies truncated) to stderr")
	grace := fs.Duration("shutdown-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long in-flight requests may take to finish")
	reusePort := fs.Bool("reuseport", false, "set SO_REUSEPORT so several brick processes can share the port")
	backlog := fs.Int("backlog", server.DefaultBacklog, "listen backlog (capped by net.core.somaxconn)")
	perConn := fs.Bool("goroutine-per-conn", false, "use a goroutine per connection instead of the epoll loops (for comparison)")
	staticCfg := static.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brick [flags] [DIR]\n\n"+
			"Without DIR, serves Brick's embedded default site: / and /hello.\n"+
			"With DIR (brick . for the current directory), serves the files under DIR:\n"+
			"GET and HEAD, index.html or a listing for directories, ranges, validators,\n"+
			"brotli/gzip; dotfiles and symlinks leading out of DIR are refused.\n"+
			"Flags may come before or after DIR.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	dir := ""
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "brick: unexpected argument %q after the directory (see brick -h)\n", fs.Arg(0))
			return 2
		}
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
	srv := &server.Server{Handler: handler, Logger: log, GoroutinePerConn: *perConn}
	if *verbose {
		srv.Trace = stderr
	}
	ln, err := server.Listen(*addr, server.ListenConfig{Backlog: *backlog, ReusePort: *reusePort})
	if err != nil {
		fmt.Fprintf(stderr, "brick: %v\n", err)
		return 1
	}
	log.Info("brick is serving", "addr", ln.Addr().String(), "dir", dir, "try", "curl http://"+displayAddr(ln.Addr().String())+try)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down: finishing requests in flight", "timeout", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown timed out; closed the remaining connections", "err", err)
		return 1
	}
	<-errc
	log.Info("stopped")
	return 0
}

// displayAddr turns a listen address into one a user can paste into curl.
func displayAddr(a string) string {
	if len(a) > 0 && a[0] == ':' {
		return "localhost" + a
	}
	if len(a) > 5 && a[:5] == "[::]:" {
		return "localhost" + a[4:]
	}
	if len(a) > 8 && a[:8] == "0.0.0.0:" {
		return "localhost" + a[7:]
	}
	return a
}
