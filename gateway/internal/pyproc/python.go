// Package pyproc finds and prepares the Python interpreter that a
// gateway's worker processes run: the WSGI and the ASGI gateway share it,
// so both pick an interpreter by the same rules and word the same
// problems the same way.
package pyproc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Env is the workers' environment: Brick's, unbuffered output (so an
// application's prints reach the log as they happen), the scheduling
// policy, and --env. A scheduling request in Brick's own environment
// (left by whatever started it) is dropped: the setting alone decides.
func Env(cfg Spec) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, SchedEnv+"=") })
	env = append(env, "PYTHONUNBUFFERED=1")
	if cfg.Scheduling != "" {
		// Normal too: a Brick started under SCHED_BATCH (chrt -b, a
		// systemd unit) would otherwise pass its own policy on.
		env = append(env, SchedEnv+"="+cfg.Scheduling)
	}
	return append(env, cfg.Env...)
}

// SchedEnv names the variable that asks a worker for its scheduling
// policy; the worker removes it from its environment.
const SchedEnv = "BRICK_WORKER_SCHEDULING"

// CheckDir reports a --chdir that cannot be the workers' directory, before
// an interpreter is looked for: exec reports a missing working directory
// as if the interpreter were missing.
func CheckDir(cfg Spec) error {
	if cfg.Dir == "" {
		return nil
	}
	fi, err := os.Stat(cfg.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: the application's directory %s (--chdir) does not exist: pass the directory that holds the module of %s", cfg.Kind, cfg.Dir, cfg.App)
	case err != nil:
		return fmt.Errorf("%s: the application's directory (--chdir): %w", cfg.Kind, err)
	case !fi.IsDir():
		return fmt.Errorf("%s: the application's directory %s (--chdir) is not a directory: pass the directory that holds the module of %s", cfg.Kind, cfg.Dir, cfg.App)
	}
	return nil
}

// Spec says what the interpreter must run: the fields of a gateway's
// configuration that choose it.
type Spec struct {
	// Kind names the gateway in messages: "wsgi" or "asgi".
	Kind string
	// App is the application, "module:callable".
	App string
	// Dir is the workers' directory (--chdir).
	Dir string
	// Python is the interpreter asked for (--python); empty: search.
	Python string
	// Env adds NAME=value entries to the workers' environment (--env).
	Env []string
	// Scheduling is the workers' policy (Settings.Scheduling); the
	// worker sets it on itself first thing, so that every thread and
	// process it starts inherits it.
	Scheduling string
}

// importRE finds the top-level imports of a module's source.
var importRE = regexp.MustCompile(`(?m)^(?:from|import)[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)

// Choice is the interpreter the workers run, and why, for the log.
type Choice struct {
	// Path is the interpreter's path.
	Path string
	// Why is a sentence for the start-up log: which interpreters were
	// tried, which was chosen and for what reason.
	Why string
}

// probeTimeout bounds one interpreter's answer to the probe.
const probeTimeout = 10 * time.Second

// probeParallel bounds the interpreters probed at once: each is a Python
// start-up, and a machine with many (pyenv) should not start them all.
const probeParallel = 4

// Find picks the interpreter. Several python3 are common on one
// machine (Debian's, pyenv's, a venv's), and only some have the
// application's framework installed: take the first, in the order of
// PATH, that is Python 3 and can import every third-party module the
// application's module imports. Interpreters are probed side by side, and
// the search stops as soon as the first acceptable one in that order has
// answered.
func Find(cfg Spec) (Choice, error) {
	if cfg.Python != "" {
		p, err := exec.LookPath(cfg.Python)
		if err != nil {
			return Choice{}, fmt.Errorf("%s: --python %s: %w: pass the path of a Python 3 interpreter", cfg.Kind, cfg.Python, err)
		}
		r := probe(context.Background(), p, cfg, nil)
		if r.err != nil {
			return Choice{}, fmt.Errorf("%s: --python %s: %w", cfg.Kind, cfg.Python, r.err)
		}
		return Choice{Path: p, Why: choiceLine(p, "--python, Python "+r.version, nil)}, nil
	}
	candidates := pythonCandidates()
	if len(candidates) == 0 {
		return Choice{}, errors.New(cfg.Kind + ": no python3 found on PATH, in /usr/bin or /usr/local/bin: install Python 3 or pass --python PATH")
	}
	names := moduleImports(cfg)
	results := probeAll(candidates, cfg, names)

	var tried []string
	best := -1 // the Python 3 that finds most, for when none finds all
	for i, r := range results {
		if r.err != nil {
			tried = append(tried, candidates[i]+": "+r.err.Error())
			continue
		}
		if len(r.missing) == 0 {
			why := "Python " + r.version
			if len(r.found) > 0 {
				why += ", can import " + strings.Join(r.found, ", ")
			}
			return Choice{Path: candidates[i], Why: choiceLine(candidates[i], why, tried)}, nil
		}
		if best < 0 || len(r.found) > len(results[best].found) {
			best = i
		}
		tried = append(tried, candidates[i]+": No module named '"+strings.Join(r.missing, "', '")+"'")
	}
	if best < 0 {
		return Choice{}, fmt.Errorf("%s: no usable Python 3 (tried %s): install Python 3 or pass --python PATH", cfg.Kind, strings.Join(tried, "; "))
	}
	r := results[best]
	why := "Python " + r.version
	if len(r.found) > 0 {
		why += ", can import " + strings.Join(r.found, ", ")
	}
	why += fmt.Sprintf(", the one that finds most; none finds %s, so the application will likely fail to import", strings.Join(r.missing, ", "))
	return Choice{Path: candidates[best], Why: choiceLine(candidates[best], why, tried)}, nil
}

// choiceLine words the log line of an interpreter chosen among several.
func choiceLine(path, why string, tried []string) string {
	s := "python: chose " + path + " (" + why + ")"
	if len(tried) > 0 {
		s += "; tried " + strings.Join(tried, "; ")
	}
	return s
}

// pythonCandidates lists the python3 on PATH, then in /usr/bin and
// /usr/local/bin, each once.
func pythonCandidates() []string {
	var candidates []string
	seen := map[string]bool{}
	add := func(p string) {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return
		}
		if fi, err := os.Stat(real); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return
		}
		// A virtualenv's python3 is a link to the interpreter it was
		// made from, but runs with the virtualenv's packages: it is
		// told apart by its own path.
		key := real
		if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(p)), "pyvenv.cfg")); err == nil {
			key = filepath.Clean(p)
		}
		if seen[key] {
			return
		}
		seen[key] = true
		candidates = append(candidates, p)
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir != "" {
			add(filepath.Join(dir, "python3"))
		}
	}
	add("/usr/bin/python3")
	add("/usr/local/bin/python3")
	return candidates
}

// probeAll probes the candidates, probeParallel at a time, and returns
// the results of the first ones in order, up to the first acceptable one:
// once it has answered, those after it are stopped and not reported.
func probeAll(candidates []string, cfg Spec, names []string) []probeResult {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make([]probeResult, len(candidates))
	done := make([]chan struct{}, len(candidates))
	sem := make(chan struct{}, probeParallel)
	var wg sync.WaitGroup
	for i, py := range candidates {
		done[i] = make(chan struct{})
		wg.Go(func() {
			defer close(done[i])
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			results[i] = probe(ctx, py, cfg, names)
		})
	}
	// Stop the probes left, then reap them (deferred calls run last
	// first).
	defer wg.Wait()
	defer cancel()
	for i := range candidates {
		<-done[i]
		if r := results[i]; r.err == nil && len(r.missing) == 0 {
			return results[:i+1]
		}
	}
	return results
}

// probeResult is what one interpreter said about itself.
type probeResult struct {
	version string   // e.g. "3.11.2"
	found   []string // the application's third-party modules it has
	missing []string // the application's third-party modules it lacks
	err     error    // it did not run, or is not Python 3
}

// probeSource asks an interpreter its version and whether it finds each
// module named on its command line that is neither built in nor in its
// standard library. It is valid Python 2, so that Python 2 can say what
// it is.
const probeSource = `import sys
sys.stdout.write("%d.%d.%d\n" % tuple(sys.version_info[:3]))
if sys.version_info[0] >= 3:
    import importlib.util
    sys.path.insert(0, '.')
    std = set(sys.builtin_module_names) | set(getattr(sys, 'stdlib_module_names', ()))
    for n in sys.argv[1:]:
        if n in std:
            continue
        if importlib.util.find_spec(n) is None:
            sys.stdout.write("missing %s\n" % n)
        else:
            sys.stdout.write("found %s\n" % n)
`

// versionRE finds a version in a probe's first line; "Python " may
// precede it, as in what `python --version` prints.
var versionRE = regexp.MustCompile(`^(?:Python )?(\d+)\.(\d+)(?:\.\d+)?`)

// probe runs probeSource in py, in the workers' directory and environment.
func probe(ctx context.Context, py string, cfg Spec, names []string) probeResult {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", probeSource}, names...)...)
	// Where and as the workers will run: --env may set PYTHONPATH.
	cmd.Dir, cmd.Env = cfg.Dir, Env(cfg)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// An interpreter may be a wrapper script (pyenv's shims): stopping
	// it must stop what it started, which would hold the output open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() == context.DeadlineExceeded {
		return probeResult{err: fmt.Errorf("no answer within %v", probeTimeout)}
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	m := versionRE.FindStringSubmatch(strings.TrimSpace(lines[0]))
	if m == nil {
		if err == nil {
			err = fmt.Errorf("printed %q, not its version", lines[0])
		}
		if s := strings.TrimSpace(stderr.String()); s != "" {
			err = fmt.Errorf("%w: %s", err, lastLine(s))
		}
		return probeResult{err: fmt.Errorf("cannot run it: %w", err)}
	}
	r := probeResult{version: strings.TrimPrefix(m[0], "Python ")}
	if major, _ := strconv.Atoi(m[1]); major < 3 {
		r.err = fmt.Errorf("it is Python %s; Python 3 is required: pass --python with a Python 3 interpreter", r.version)
		return r
	}
	for _, l := range lines[1:] {
		if n, ok := strings.CutPrefix(l, "found "); ok {
			r.found = append(r.found, n)
		} else if n, ok := strings.CutPrefix(l, "missing "); ok {
			r.missing = append(r.missing, n)
		}
	}
	return r
}

// lastLine returns the last line of s, where a traceback says what failed.
func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// moduleImports lists what the application's module imports at top level,
// except the modules beside it, or the module's top-level package when its
// source is not under Dir.
func moduleImports(cfg Spec) []string {
	module, _, _ := strings.Cut(cfg.App, ":")
	base := filepath.Join(cfg.Dir, filepath.FromSlash(strings.ReplaceAll(module, ".", "/")))
	var src []byte
	for _, f := range []string{base + ".py", filepath.Join(base, "__init__.py")} {
		if b, err := os.ReadFile(f); err == nil {
			src = b
			break
		}
	}
	if src == nil {
		top, _, _ := strings.Cut(module, ".")
		return []string{top}
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range importRE.FindAllSubmatch(src, -1) {
		n := string(m[1])
		if seen[n] || besideApp(cfg.Dir, n) {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	return names
}

// besideApp reports whether module name is a file or package in dir,
// which every interpreter finds there.
func besideApp(dir, name string) bool {
	for _, f := range []string{name + ".py", name} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// ValidApp checks an application reference: a dotted module, optionally
// ":callable" or ":factory()".
func ValidApp(app string) bool {
	module, name, hasName := strings.Cut(app, ":")
	return validModule(module) && (!hasName || validModule(strings.TrimSuffix(name, "()")))
}

// validModule checks a dotted Python name.
func validModule(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || part[0] >= '0' && part[0] <= '9' {
			return false
		}
		for _, r := range part {
			if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9') && r < 0x80 {
				return false
			}
		}
	}
	return true
}

// EnvList is a repeatable NAME=value flag.
type EnvList []string

func (e *EnvList) String() string { return strings.Join(*e, " ") }

// Set adds one entry.
func (e *EnvList) Set(s string) error {
	if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
		return fmt.Errorf("%q is not NAME=value", s)
	}
	*e = append(*e, s)
	return nil
}
