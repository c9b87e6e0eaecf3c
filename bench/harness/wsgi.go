package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The wsgi scenarios run the same Python application (bench/apps) under
// Brick's `brick wsgi`, gunicorn and uWSGI, each with the same number of
// Python worker processes, all on CPU 0 (taskset on the parent is inherited
// by the workers it forks). Every server runs Debian's /usr/bin/python3,
// which has python3-flask: the python3 on PATH may be another one.
const python = "/usr/bin/python3"

// wsgiApps maps a scenario's app to its module:callable in bench/apps.
var wsgiApps = map[string]string{
	"bare":   "bare:application",
	"flask":  "flaskapp:app",
	"django": "djangoapp:application", // the real-app scenario: a template from a sqlite query
}

// uwsgiPlugin is the file Debian's uwsgi-plugin-python3 installs.
const uwsgiPlugin = "/usr/lib/uwsgi/plugins/python3_plugin.so"

// uwsgiInstalled says whether uWSGI can run a Python application here.
func uwsgiInstalled() bool { return uwsgiMissing() == nil }

// uwsgiMissing says what of uwsgiInstalled's needs is missing, or nil.
func uwsgiMissing() error {
	_, err := exec.LookPath("uwsgi")
	_, err2 := os.Stat(uwsgiPlugin)
	_, err3 := os.Stat(python)
	return errors.Join(err, err2, err3)
}

// pythonHas says whether /usr/bin/python3 can import module.
func pythonHas(module string) bool {
	return exec.Command(python, "-c", "import "+module).Run() == nil
}

// wsgiServers lists the servers of a wsgi scenario, Brick first.
//
//   - brick: the real cmd/brick binary, `brick wsgi`, GOMAXPROCS=1.
//   - gunicorn: sync workers (its default class: one request at a time per
//     worker, and no keep-alive: it answers with Connection: close), run as
//     python3 -m gunicorn so the interpreter is Debian's.
//   - uwsgi: --http-socket, so each worker parses HTTP itself with no
//     router process in front; --master only with more than one worker
//     (one worker is then the only process). --http-socket closes the
//     connection after each response without saying so; the added
//     Connection: close header says it, so wrk reconnects instead of
//     counting a read error per request. (--http11-socket keeps a
//     connection and serves nothing else until the client closes it: with
//     more connections than workers the other clients would starve.)
//   - nginx+gunicorn, nginx+uwsgi: as they are deployed, one nginx worker
//     in front of the same servers on a Unix socket (HTTP to gunicorn, the
//     uwsgi protocol to uWSGI); the CPU measured is nginx's and Python's.
func (h *harness) wsgiServers(app string, workers int) []serverSpec {
	module := wsgiApps[app]
	dir := filepath.Join(h.root, "bench", "apps")
	n := strconv.Itoa(workers)
	addr := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	brick := func(exe string) func(port, nofile int) (*exec.Cmd, error) {
		return func(port, nofile int) (*exec.Cmd, error) {
			cmd := pinned(nofile, exe, "wsgi", "-python", python, "-workers", n, "-chdir", dir,
				"-addr", addr(port), module)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}
	}
	var before []serverSpec
	if exe := os.Getenv("BENCH_BRICK_BEFORE"); exe != "" {
		// Another build of cmd/brick (a change's parent), for a before
		// and after in the same run.
		before = []serverSpec{{"brick-before", brick(exe)}}
	}
	return append([]serverSpec{
		{"brick", func(port, nofile int) (*exec.Cmd, error) {
			exe, err := h.brickBinary()
			if err != nil {
				return nil, err
			}
			return brick(exe)(port, nofile)
		}}}, append(before, []serverSpec{
		{"gunicorn", func(port, nofile int) (*exec.Cmd, error) {
			if !pythonHas("gunicorn") {
				return nil, fmt.Errorf("gunicorn is not installed for %s: bench/run installs it with apt-get", python)
			}
			return pinned(nofile, python, "-m", "gunicorn", "--workers", n, "--worker-class", "sync",
				"--chdir", dir, "--bind", addr(port), "--log-level", "warning", module), nil
		}},
		{"uwsgi", func(port, nofile int) (*exec.Cmd, error) {
			if !uwsgiInstalled() {
				return nil, fmt.Errorf("uwsgi or its python3 plugin is not installed: bench/run installs them with apt-get")
			}
			args := []string{"--plugin", "python3", "--http-socket", addr(port), "--processes", n,
				"--chdir", dir, "--module", module, "--disable-logging", "--need-app", "--die-on-term",
				"--add-header", "Connection: close"}
			if workers > 1 {
				args = append(args, "--master")
			}
			exe, _ := exec.LookPath("uwsgi")
			return pinned(nofile, exe, args...), nil
		}},
		{"nginx+gunicorn", func(port, nofile int) (*exec.Cmd, error) {
			if !pythonHas("gunicorn") {
				return nil, fmt.Errorf("gunicorn is not installed for %s: bench/run installs it with apt-get", python)
			}
			sock := filepath.Join(h.tmp, fmt.Sprintf("gunicorn-%d.sock", port))
			return h.behindNginx(port, nofile, "nginx-gunicorn",
				"proxy_pass http://unix:"+sock+";\n            proxy_set_header Host $host;",
				python, "-m", "gunicorn", "--workers", n, "--worker-class", "sync",
				"--chdir", dir, "--bind", "unix:"+sock, "--log-level", "warning", module)
		}},
		{"nginx+uwsgi", func(port, nofile int) (*exec.Cmd, error) {
			if !uwsgiInstalled() {
				return nil, fmt.Errorf("uwsgi or its python3 plugin is not installed: bench/run installs them with apt-get")
			}
			sock := filepath.Join(h.tmp, fmt.Sprintf("uwsgi-%d.sock", port))
			args := []string{"--plugin", "python3", "--socket", sock, "--processes", n,
				"--chdir", dir, "--module", module, "--disable-logging", "--need-app", "--die-on-term"}
			if workers > 1 {
				args = append(args, "--master")
			}
			exe, _ := exec.LookPath("uwsgi")
			return h.behindNginx(port, nofile, "nginx-uwsgi",
				"include /etc/nginx/uwsgi_params;\n            uwsgi_pass unix:"+sock+";",
				exe, args...)
		}},
	}...)...)
}

// behindNginx runs a Python server on a Unix socket and one nginx worker
// in front of it, relaying every request with the location body given,
// as they are deployed: one command (a shell that starts the backend and
// becomes nginx), so that the backend is in the process tree whose CPU
// is measured and in the process group that is stopped.
func (h *harness) behindNginx(port, nofile int, name, location, exe string, args ...string) (*exec.Cmd, error) {
	front, err := nginxWith(h.tmp, name, port, nofile, "", "", "        location / {\n            "+location+"\n        }")
	if err != nil {
		return nil, err
	}
	quote := func(a string) string { return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'" }
	back := make([]string, 0, len(args)+1)
	for _, a := range append([]string{exe}, args...) {
		back = append(back, quote(a))
	}
	// front is pinned(nofile, nginx, ...): sh -c SCRIPT sh nginx ARGS...;
	// the backend starts first, in the background, under the same limits.
	script := front.Args[2]
	front.Args[2] = strings.Replace(script, "exec taskset", "taskset -c 0 "+strings.Join(back, " ")+" & exec taskset", 1)
	return front, nil
}

// brickBinary builds cmd/brick once, on first use, so that the other
// scenarios neither wait for it nor fail when it does not build.
func (h *harness) brickBinary() (string, error) {
	if h.brickBuilt {
		return h.brickExe, h.brickErr
	}
	h.brickBuilt = true
	h.brickExe = filepath.Join(h.tmp, "brick")
	cmd := exec.Command("go", "build", "-o", h.brickExe, "./cmd/brick")
	cmd.Dir = h.root
	if out, err := cmd.CombinedOutput(); err != nil {
		h.brickErr = fmt.Errorf("go build ./cmd/brick: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return h.brickExe, h.brickErr
}

// wsgiVersions names the interpreter, Flask and the peers' versions for
// the tables.
func wsgiVersions() string {
	out, err := exec.Command(python, "-c", `import sys
v = ["Python " + sys.version.split()[0]]
for m in ("flask", "django", "gunicorn"):
    try:
        v.append(m + " " + __import__(m).__version__)
    except Exception:
        v.append(m + " not installed")
print(", ".join(v))`).Output()
	s := strings.TrimSpace(string(out))
	if err != nil {
		s = python + " not runnable"
	}
	if uv, err := exec.Command("uwsgi", "--version").Output(); err == nil {
		s += ", uWSGI " + strings.TrimSpace(string(uv))
	} else {
		s += ", uWSGI not installed"
	}
	return s
}

// waitSettled waits, up to limit, until pid's process tree stops using the
// CPU: Python workers import the application after the port already
// answers (gunicorn's, or Brick's beyond the first), and that start-up must
// not be charged to the run.
func waitSettled(pid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	quiet := 0
	last := cpuTicks(pid)
	for quiet < 2 && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		t := cpuTicks(pid)
		if t-last <= 1 {
			quiet++
		} else {
			quiet = 0
		}
		last = t
	}
}
