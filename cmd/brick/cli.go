package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/brick-server/brick/config"
)

// A subcommand is recognised before anything else: `brick run` runs the
// configuration even where a directory named run exists (brick ./run
// serves that). A first word that is neither a subcommand nor an existing
// path is a mistyped subcommand, not a directory to serve.

// command is a subcommand: `brick NAME args...`.
type command struct {
	name string
	run  func(args []string, stdout, stderr io.Writer) int
}

// commands are the subcommands; `brick [flags] [DIR]` is the command
// line without one. Filled in init, since help refers to the list.
var commands []command

func init() {
	commands = []command{
		{"wsgi", func(args []string, stdout, stderr io.Writer) int {
			q, code := compileWSGI(args, stdout, stderr)
			if code >= 0 {
				return code
			}
			return q.serve(stderr)
		}},
		{"asgi", func(args []string, stdout, stderr io.Writer) int {
			q, code := compileASGI(args, stdout, stderr)
			if code >= 0 {
				return code
			}
			return q.serve(stderr)
		}},
		{"php", runPHP},
		{"proxy", func(args []string, stdout, stderr io.Writer) int {
			q, code := compileProxy(args, stdout, stderr)
			if code >= 0 {
				return code
			}
			return q.serve(stderr)
		}},
		{"run", runConfig},
		{"validate", validateConfig},
		{"help", help},
		{"version", version},
	}
}

// lookup finds a subcommand by name; -version and --version are the
// version command, as most programs spell it.
func lookup(name string) *command {
	if name == "-version" || name == "--version" {
		name = "version"
	}
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// unknownCommand reports word as a mistyped subcommand when it cannot be
// a directory to serve: not a flag, not an existing path, and a plain word
// (a path such as ./site or /srv/www is reported as missing when served).
// ok is false when word is to be served.
func unknownCommand(word string, stderr io.Writer) (code int, ok bool) {
	if word == "" || strings.HasPrefix(word, "-") || strings.ContainsRune(word, os.PathSeparator) || strings.HasPrefix(word, ".") {
		return 0, false
	}
	if _, err := os.Stat(word); err == nil || !errors.Is(err, os.ErrNotExist) {
		return 0, false
	}
	fmt.Fprintf(stderr, "brick: %s\n", unknownMessage(word, ", and no directory of that name here"))
	return 2, true
}

// unknownMessage says that word is no subcommand, with the nearest one,
// or else the list of them; also is said after the word in that case.
func unknownMessage(word, also string) string {
	if s := suggest(word); s != "" {
		return fmt.Sprintf("unknown command '%s'; did you mean '%s'?", word, s)
	}
	return fmt.Sprintf("unknown command '%s'%s (commands: %s; see brick help)", word, also, commandNames())
}

// suggest is the subcommand nearest to word, within two edits (a
// transposition counts as one), or "".
func suggest(word string) string {
	best, bestD := "", 3
	for _, c := range commands {
		if d := config.EditDistance(strings.ToLower(word), c.name); d < bestD && d < len(c.name) {
			best, bestD = c.name, d
		}
	}
	return best
}

// usage is a command's help: its synopsis lines and what it does. The
// flags and their defaults follow, from the flag set.
type usage struct {
	synopsis []string
	about    string
}

// print writes the whole help: synopsis, description, flags.
func (u usage) print(w io.Writer, fs *flag.FlagSet) {
	for i, s := range u.synopsis {
		prefix := "Usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintf(w, "%s%s\n", prefix, s)
	}
	fmt.Fprintf(w, "\n%s\n", u.about)
	if hasFlags(fs) {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses args with fs. -h prints the help on stdout and ends the
// run with 0; a bad flag is reported on stderr with the synopsis and ends
// it with 2. code is -1 when the run goes on.
func parse(fs *flag.FlagSet, u usage, args []string, stdout, stderr io.Writer) (code int) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		u.print(stdout, fs)
		return 0
	}
	usageError(fs.Name(), u, err.Error(), stderr)
	return 2
}

// usageError reports a mistake on the command line: the message, then
// the synopsis and where the full help is.
func usageError(name string, u usage, msg string, stderr io.Writer) {
	fmt.Fprintf(stderr, "%s: %s\n", name, msg)
	for i, s := range u.synopsis {
		prefix := "usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintf(stderr, "%s%s\n", prefix, s)
	}
	fmt.Fprintf(stderr, "Run '%s -h' for the flags.\n", name)
}

// help is `brick help [command]`: the help of brick or of a subcommand,
// on stdout.
func help(args []string, stdout, stderr io.Writer) int {
	u := usage{synopsis: []string{"brick help [command]"},
		about: "Prints the help of brick, or of a command: " + commandNames() + "."}
	fs := flag.NewFlagSet("brick help", flag.ContinueOnError)
	if code := parse(fs, u, args, stdout, stderr); code >= 0 {
		return code
	}
	switch fs.NArg() {
	case 0:
		return run([]string{"-h"}, stdout, stderr)
	case 1:
	default:
		usageError(fs.Name(), u, fmt.Sprintf("unexpected argument %q after the command", fs.Arg(1)), stderr)
		return 2
	}
	c := lookup(fs.Arg(0))
	if c == nil {
		fmt.Fprintf(stderr, "brick help: %s\n", unknownMessage(fs.Arg(0), ""))
		return 2
	}
	return c.run([]string{"-h"}, stdout, stderr)
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// version is `brick version` (also -version, --version): the module
// version, the Go release and the VCS revision the binary was built
// from, as the build recorded them.
func version(args []string, stdout, stderr io.Writer) int {
	u := usage{synopsis: []string{"brick version"},
		about: "Prints the version of Brick, the Go release that built it and the revision of\n" +
			"its source (\"(modified)\" when the tree had uncommitted changes)."}
	fs := flag.NewFlagSet("brick version", flag.ContinueOnError)
	if code := parse(fs, u, args, stdout, stderr); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		usageError(fs.Name(), u, fmt.Sprintf("unexpected argument %q", fs.Arg(0)), stderr)
		return 2
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stdout, "brick (no build information)")
		return 0
	}
	fmt.Fprintln(stdout, versionLine(bi))
	return 0
}

// versionLine is "brick VERSION GO vcs.revision=REV (modified)".
func versionLine(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	line := []string{"brick", v, bi.GoVersion}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		line = append(line, "vcs.revision="+rev)
		if modified == "true" {
			line = append(line, "(modified)")
		}
	}
	return strings.Join(line, " ")
}
