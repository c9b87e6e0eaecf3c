package wsgi_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// fakePython writes an executable shell script named name into a new
// directory and returns the directory.
func fakePython(t *testing.T, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Interpreters that stand in for the ones found on real machines.
const (
	// python2 says it is Python 2.7, as `python --version` does.
	python2 = `echo "Python 2.7.18"`
	// noSitePython is Debian's Python 3 without its site packages: it
	// cannot import Flask, like a virtualenv made without it.
	noSitePython = `exec /usr/bin/python3 -S "$@"`
)

// TestStartErrors checks that a pool that cannot start says why and what
// to do, naming the real cause: a missing --chdir is not a missing Python.
func TestStartErrors(t *testing.T) {
	needPython(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	py2 := filepath.Join(fakePython(t, "python", python2), "python")
	broken := filepath.Join(fakePython(t, "python3", `echo "Fatal Python error: no encodings" >&2; exit 1`), "python3")
	for _, tc := range []struct {
		name    string
		cfg     wsgi.Config
		want    []string
		notWant string
	}{
		{"chdir does not exist", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Dir: "/does/not/exist"}},
			[]string{"/does/not/exist", "does not exist", "pass the directory"}, "install Python"},
		{"chdir is a file", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Dir: file}},
			[]string{file, "is not a directory"}, "install Python"},
		{"python 2", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Dir: appsDir, Python: py2}},
			[]string{"--python " + py2, "Python 2.7.18", "Python 3 is required"}, ""},
		{"python that does not run", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Dir: appsDir, Python: broken}},
			[]string{"--python " + broken, "cannot run it", "no encodings"}, ""},
		{"python not found", wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Dir: appsDir, Python: "/no/such/python3"}},
			[]string{"--python /no/such/python3", "pass the path of a Python 3 interpreter"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, lb := newLogger()
			p, err := wsgi.NewPool(tc.cfg, log)
			if err == nil {
				p.Close()
				t.Fatalf("NewPool succeeded; log:\n%s", lb)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("error %q says %q", err, tc.notWant)
			}
		})
	}
}

// TestPythonChoice puts before Debian's Python, on PATH, a Python 2 and a
// Python 3 that cannot import Flask: the pool must run Debian's and say
// which it tried, which it chose and why, also when no interpreter finds
// every module the application imports.
func TestPythonChoice(t *testing.T) {
	needPython(t)
	old := fakePython(t, "python3", python2)
	nosite := fakePython(t, "python3", noSitePython)
	t.Setenv("PATH", old+string(filepath.ListSeparator)+nosite+string(filepath.ListSeparator)+"/usr/bin")
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "needsmore.py"), []byte("import flask\nimport nosuchthing\napp = flask.Flask(__name__)\n"), 0o644)
	// An application that imports a module only --env's PYTHONPATH has.
	ext, usesExt := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(ext, "extmod.py"), nil, 0o644)
	os.WriteFile(filepath.Join(usesExt, "usesext.py"), []byte("import extmod\n\ndef app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"), 0o644)
	for _, tc := range []struct {
		name, app, dir string
		env            []string
		wantErr        bool
		want           []string
	}{
		{"one finds all", "flaskapp:app", appsDir, nil, false, []string{
			"python: chose " + python + " (Python 3.",
			"can import flask)",
			"tried " + old + "/python3: it is Python 2.7.18; Python 3 is required",
			nosite + "/python3: No module named 'flask'",
		}},
		{"none finds all", "needsmore:app", broken, nil, true, []string{
			"python: chose " + python + " (Python 3.",
			"can import flask, the one that finds most; none finds nosuchthing",
			nosite + "/python3: No module named 'flask', 'nosuchthing'",
			python + ": No module named 'nosuchthing'",
		}},
		{"a module on --env's PYTHONPATH", "usesext:app", usesExt, []string{"PYTHONPATH=" + ext}, false, []string{
			"python: chose " + nosite + "/python3 (Python 3.",
			"can import extmod)",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, lb := newLogger()
			p, err := wsgi.NewPool(wsgi.Config{Settings: pyproc.Settings{App: tc.app, Dir: tc.dir, Env: tc.env, Workers: 1}}, log)
			if err == nil {
				defer p.Close()
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewPool: %v, want an error: %v\nlog:\n%s", err, tc.wantErr, lb)
			}
			line := lb.line("python: chose")
			for _, want := range tc.want {
				if !strings.Contains(line, want) {
					t.Errorf("log line %q lacks %q", line, want)
				}
			}
			if strings.Contains(line, "common") {
				t.Errorf("log line %q names common, a module beside the application that every interpreter finds", line)
			}
		})
	}
}

// TestPythonProbesInParallel checks that interpreters are asked side by
// side, and that the search ends once the first that can import the
// application has answered: three slow interpreters that cannot import
// Flask all start before any is done, and a slower one after the chosen
// one is not waited for.
func TestPythonProbesInParallel(t *testing.T) {
	needPython(t)
	// Each slow interpreter notes when it starts and when it is done, so
	// the order of the notes shows whether they ran side by side, whatever
	// the machine's load: timing the whole would not.
	notes := filepath.Join(t.TempDir(), "notes")
	slow := `echo start >> ` + notes + `; sleep 2; echo end >> ` + notes + `; ` + noSitePython
	var path []string
	for range 3 {
		path = append(path, fakePython(t, "python3", slow))
	}
	path = append(path, "/usr/bin", fakePython(t, "python3", `sleep 60; `+noSitePython))
	t.Setenv("PATH", strings.Join(path, string(filepath.ListSeparator)))
	log, lb := newLogger()
	start := time.Now()
	p, err := wsgi.NewPool(wsgi.Config{Settings: pyproc.Settings{App: "flaskapp:app", Dir: appsDir, Workers: 1}}, log)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("NewPool: %v\nlog:\n%s", err, lb)
	}
	defer p.Close()
	if p.Python() != python {
		t.Errorf("Python() = %s, want %s", p.Python(), python)
	}
	b, err := os.ReadFile(notes)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); len(got) < 4 || got[0] != "start" || got[1] != "start" || got[2] != "start" {
		t.Errorf("the slow interpreters ran %v; want all three started before any ended (probed side by side)", got)
	}
	// The last interpreter sleeps a minute: the search must not wait for
	// it once /usr/bin/python3, earlier on PATH, has answered.
	if took > 30*time.Second {
		t.Errorf("NewPool took %v: it waited for an interpreter after the one it chose", took)
	}
	if n := strings.Count(lb.line("python: chose"), "No module named 'flask'"); n != 3 {
		t.Errorf("log line %q names %d interpreters without Flask, want 3", lb.line("python: chose"), n)
	}
}

// TestChdirRemoved: a worker restarted after its directory was removed
// says so, instead of blaming the interpreter.
func TestChdirRemoved(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "app")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "tiny.py"), []byte("def application(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"), 0o644)
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "tiny:application", Dir: dir}})
	pids := waitPIDs(t, g.pool, 1, nil)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	g.log.waitFor(t, 10*time.Second, "failed to start", dir+" (--chdir) does not exist")
	if line := g.log.line("install Python"); line != "" {
		t.Errorf("a removed directory blamed on Python: %s", line)
	}
}
