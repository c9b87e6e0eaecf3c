package wsgi

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// workerSource is the Python side of the gateway, embedded so that a user
// installs nothing beyond the application itself.
//
//go:embed python/worker.py
var workerSource []byte

// WorkerSource returns worker.py, for tests and the curious.
func WorkerSource() []byte { return workerSource }

// workerEnv is the workers' environment: Brick's, unbuffered output (so an
// application's prints reach the log as they happen), and --env.
func workerEnv(cfg Config) []string {
	env := append(os.Environ(), "PYTHONUNBUFFERED=1")
	return append(env, cfg.Env...)
}

// importRE finds the top-level imports of a module's source.
var importRE = regexp.MustCompile(`(?m)^(?:from|import)[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)

// findPython picks the interpreter. Several python3 are common on one
// machine (Debian's, pyenv's, a venv's), and only some have the
// application's framework installed: take the first that can import
// every third-party module the application's module imports.
func findPython(cfg Config) (string, error) {
	if cfg.Python != "" {
		p, err := exec.LookPath(cfg.Python)
		if err != nil {
			return "", fmt.Errorf("wsgi: --python %s: %w", cfg.Python, err)
		}
		return p, nil
	}
	var candidates []string
	seen := map[string]bool{}
	add := func(p string) {
		real, err := filepath.EvalSymlinks(p)
		if err != nil || seen[real] {
			return
		}
		if fi, err := os.Stat(real); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return
		}
		seen[real] = true
		candidates = append(candidates, p)
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir != "" {
			add(filepath.Join(dir, "python3"))
		}
	}
	add("/usr/bin/python3")
	add("/usr/local/bin/python3")
	if len(candidates) == 0 {
		return "", errors.New("wsgi: no python3 found on PATH, in /usr/bin or /usr/local/bin: install Python 3 or pass --python PATH")
	}
	if len(candidates) == 1 {
		return candidates[0], nil
	}
	names := moduleImports(cfg)
	for _, py := range candidates {
		if canImport(py, cfg.Dir, names) {
			return py, nil
		}
	}
	return candidates[0], nil
}

// moduleImports lists what the application's module imports at top level,
// or the module itself when its source is not under Dir.
func moduleImports(cfg Config) []string {
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
		return []string{module}
	}
	var names []string
	for _, m := range importRE.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

// canImport reports whether py finds every name that is neither in its
// standard library nor beside the application.
func canImport(py, dir string, names []string) bool {
	const probe = `import importlib.util, sys
sys.path.insert(0, '.')
for n in sys.argv[1:]:
    if n in sys.builtin_module_names or n in getattr(sys, 'stdlib_module_names', ()):
        continue
    if importlib.util.find_spec(n) is None:
        sys.exit(1)
`
	cmd := exec.Command(py, append([]string{"-c", probe}, names...)...)
	cmd.Dir = dir
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return false
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err == nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		return false
	}
}
