package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/brick-server/brick/service"
)

// runConfig is `brick run -config FILE`: sites and routes from a file.
func runConfig(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("brick run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "brick.toml", "configuration file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: brick run [-config brick.toml]\n\n"+
			"Serves the sites and routes of a configuration file (see README: Configuration).\n"+
			"SIGHUP reloads the file (an invalid file changes nothing), SIGUSR1 reopens the\n"+
			"access log, SIGUSR2 hands the sockets to a new binary, SIGTERM drains and stops.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "brick run: unexpected argument %q (the file goes after -config)\n", fs.Arg(0))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	svc, err := service.Load(*path, handlers(), log)
	if err != nil {
		fmt.Fprintf(stderr, "brick run: %v\n", err)
		return 1
	}
	svc.Stderr = stderr
	return svc.Run()
}

// validateConfig is `brick validate -config FILE`: every problem of the
// file, with its line, and exit status 1 if there is any.
func validateConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("brick validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "brick.toml", "configuration file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := service.Validate(*path, handlers()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}
