package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The asgi scenarios run the same application (bench/apps/asgiapps.py)
// under `brick asgi`, uvicorn (uvloop, httptools), hypercorn (uvloop) and
// daphne, each with the same number of worker processes, on CPU 0, with
// Debian's /usr/bin/python3.

// asgiApps maps a scenario's app to its module:callable in bench/apps.
var asgiApps = map[string]string{
	"raw":     "asgiapps:raw",
	"fastapi": "asgiapps:fast",
	"wsecho":  "asgiapps:wsecho",
}

// asgiServers lists the servers of an asgi scenario, Brick first.
//
//   - brick: the real cmd/brick binary, `brick asgi`, GOMAXPROCS=1.
//   - uvicorn: `python3 -m uvicorn` with uvloop and httptools, no access
//     log; with more than one worker its supervisor process forks them.
//   - hypercorn: `python3 -m hypercorn` with its uvloop worker class (h11
//     for HTTP/1.1, wsproto for WebSocket), no access log; one worker runs
//     in the process itself, more are forked. Debian's 0.13.2 closes the
//     connection after a response that ends before it has parsed the end
//     of the request (the client's side still SEND_BODY in h11), which a
//     fast hello does, so wrk reconnects for most requests: the read errors
//     in its rows.
//   - daphne: `python3 -m daphne` (Twisted on asyncio's own loop, autobahn
//     for WebSocket), no access log. It has no worker processes of its own
//     (Django Channels runs several behind a balancer), so it runs only in
//     the one-worker scenarios; with more its row says so.
func (h *harness) asgiServers(app string, workers int) []serverSpec {
	module := asgiApps[app]
	dir := filepath.Join(h.root, "bench", "apps")
	n := strconv.Itoa(workers)
	return []serverSpec{
		{"brick", func(port, nofile int) (*exec.Cmd, error) {
			exe, err := h.brickBinary()
			if err != nil {
				return nil, err
			}
			cmd := pinned(nofile, exe, "asgi", "-python", python, "-workers", n, "-chdir", dir,
				"-addr", fmt.Sprintf("127.0.0.1:%d", port), module)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}},
		{"uvicorn", func(port, nofile int) (*exec.Cmd, error) {
			if !pythonHas("uvicorn") || !pythonHas("httptools") || !pythonHas("uvloop") {
				return nil, fmt.Errorf("uvicorn, httptools or uvloop is not installed for %s: bench/run installs them with apt-get", python)
			}
			cmd := pinned(nofile, python, "-m", "uvicorn", "--workers", n, "--loop", "uvloop", "--http", "httptools",
				"--no-access-log", "--log-level", "warning", "--app-dir", dir, "--port", strconv.Itoa(port), module)
			cmd.Dir = dir
			return cmd, nil
		}},
		{"hypercorn", func(port, nofile int) (*exec.Cmd, error) {
			if !pythonHas("hypercorn") || !pythonHas("uvloop") {
				return nil, fmt.Errorf("hypercorn or uvloop is not installed for %s: bench/run installs them with apt-get", python)
			}
			// The module path is relative to the working directory.
			cmd := pinned(nofile, python, "-m", "hypercorn", "--workers", n, "--worker-class", "uvloop",
				"--log-level", "warning", "--bind", fmt.Sprintf("127.0.0.1:%d", port), module)
			cmd.Dir = dir
			return cmd, nil
		}},
		{"daphne", func(port, nofile int) (*exec.Cmd, error) {
			if workers != 1 {
				return nil, fmt.Errorf("daphne runs one process; it has no -workers %d", workers)
			}
			if !pythonHas("daphne") {
				return nil, fmt.Errorf("daphne is not installed for %s: bench/run installs it with apt-get", python)
			}
			// daphne imports the application from its working directory.
			cmd := pinned(nofile, python, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", strconv.Itoa(port), module)
			cmd.Dir = dir
			return cmd, nil
		}},
	}
}

// asgiVersions names the interpreter and the packages for the tables.
func asgiVersions() string {
	out, err := exec.Command(python, "-c", `import sys
v = ["Python " + sys.version.split()[0]]
from importlib import metadata
for m in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "hypercorn", "daphne", "twisted"):
    try:
        v.append(m + " " + metadata.version(m))
    except Exception:
        v.append(m + " not installed")
print(", ".join(v))`).Output()
	if err != nil {
		return python + " not runnable"
	}
	return strings.TrimSpace(string(out))
}
