package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/service"
)

// runUsage is the help of `brick run`.
var runUsage = usage{
	synopsis: []string{"brick run [-config FILE] [flags]"},
	about: "Serves the sites and routes of a configuration file (see README: Configuration).\n" +
		"SIGHUP reloads the file (an invalid file changes nothing), SIGUSR1 reopens the\n" +
		"access log, SIGUSR2 hands the sockets to a new binary, SIGTERM drains and stops.\n" +
		"The flags other than -config override the file's [server] and [log] settings;\n" +
		"the defaults shown are the file's.",
}

// validateUsage is the help of `brick validate`.
var validateUsage = usage{
	synopsis: []string{"brick validate [-config FILE]"},
	about: "Checks a configuration file as brick run would load it, without starting\n" +
		"anything: every problem is printed with its line and column, and the exit\n" +
		"status is 1 if there is any, else it prints \"FILE: ok\" and exits 0.",
}

// runConfig is `brick run -config FILE`: sites and routes from a file.
// The server flags every mode has (-v, -addr, -admin, -access-log...)
// override the file's [server] and [log] settings, at start and on each
// reload.
func runConfig(args []string, stdout, stderr io.Writer) int {
	// bind makes the flag set with the server flags bound to o.
	bind := func(o *config.Options) (*flag.FlagSet, *string) {
		fs := flag.NewFlagSet("brick run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		path := fs.String("config", "brick.toml", "configuration `file`")
		o.RegisterFlags(fs)
		return fs, path
	}
	fs, path := bind(config.Defaults())
	if code := parse(fs, runUsage, args, stdout, stderr); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		usageError(fs.Name(), runUsage, fmt.Sprintf("unexpected argument %q (the file goes after -config)", fs.Arg(0)), stderr)
		return 2
	}
	src := service.File(*path)
	load := src.Load
	src.Load = func() (*config.Options, error) {
		o, err := load()
		if err != nil {
			return nil, err
		}
		// The same arguments again, onto the file's options: only the
		// flags given change anything.
		ofs, _ := bind(o)
		if err := ofs.Parse(args); err != nil {
			return nil, err
		}
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("with the command line's flags: %w", err)
		}
		return o, nil
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	svc, err := service.Open(src, handlers(), log)
	if err != nil {
		if msg, ok := listenFailure(err); ok {
			fmt.Fprintln(stderr, msg)
		} else {
			fmt.Fprintf(stderr, "brick run: %v\n", err)
		}
		return 1
	}
	svc.Stderr = stderr
	svc.Expose = "-addr"
	return svc.Run()
}

// validateConfig is `brick validate -config FILE`: every problem of the
// file, with its line, and exit status 1 if there is any.
func validateConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("brick validate", flag.ContinueOnError)
	path := fs.String("config", "brick.toml", "configuration `file`")
	if code := parse(fs, validateUsage, args, stdout, stderr); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		usageError(fs.Name(), validateUsage, fmt.Sprintf("unexpected argument %q (the file goes after -config)", fs.Arg(0)), stderr)
		return 2
	}
	if err := service.Validate(*path, handlers()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}
