package wsgi_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// heldApp starts, at import, a helper that leaves the zygote's process
// group (setsid, as a daemon does) and so holds every descriptor the
// zygote had, its control socket among them, after the zygote is gone.
const heldApp = `import os, time
HERE = os.path.dirname(os.path.abspath(__file__))
pid = os.fork()
if pid == 0:
    os.setsid()
    time.sleep(60)
    os._exit(0)
with open(os.path.join(HERE, "helper.pid"), "w") as f:
    f.write(str(pid))

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
`

// TestPreloadZygoteDiesHeld: a zygote that died is known dead by its
// exit, not by the end of its control socket, which a process the
// application started at import and that left the zygote's group still
// holds open: the next worker needed comes from a new zygote. Known only
// by the socket, the dead zygote was asked to fork, its answer awaited
// for the start timeout, and then its socket's end forever: the slot
// never had a worker again, and Close never returned.
func TestPreloadZygoteDiesHeld(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "heldapp.py"), []byte(heldApp), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "heldapp", Dir: dir, Workers: 2, StartTimeout: time.Second}, Preload: true})
	t.Cleanup(func() { // before the pool's Close
		if b, err := os.ReadFile(filepath.Join(dir, "helper.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	old := waitPIDs(t, g.pool, 2, nil)
	zyg := wsgi.ZygotePIDs(g.pool)
	syscall.Kill(zyg[0], syscall.SIGKILL)
	waitUntil(t, 5*time.Second, "the zygote gone", func() bool { return !isAlive(zyg[0]) })
	syscall.Kill(old[0], syscall.SIGKILL)
	// Far less than the start timeout's wait and the helper's life.
	deadline := time.Now().Add(5 * time.Second)
	now := wsgi.WorkerPIDs(g.pool)
	for len(now) != 2 || slices.Contains(now, old[0]) {
		if time.Now().After(deadline) {
			t.Fatalf("no replacement for worker %d after 5s: workers %v", old[0], now)
		}
		time.Sleep(20 * time.Millisecond)
		now = wsgi.WorkerPIDs(g.pool)
	}
	z := wsgi.ZygotePIDs(g.pool)
	if len(z) != 1 || z[0] == zyg[0] {
		t.Fatalf("zygotes %v, want a new one in place of %d", z, zyg[0])
	}
	for _, pid := range now {
		if pid != old[1] && ppid(t, pid) != z[0] {
			t.Errorf("replacement %d is not the new zygote's child", pid)
		}
	}
	g.mustGet(t, "/", 200)
}

// hookLaterApp's brick_post_fork raises once the file "fail" beside it
// exists.
const hookLaterApp = `import os
HERE = os.path.dirname(os.path.abspath(__file__))

def brick_post_fork():
    if os.path.exists(os.path.join(HERE, "fail")):
        raise ValueError("no database here")

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"x"]
`

// TestPreloadQuickDeath: a forked worker that fails at once (its
// brick_post_fork raises) may be gone, reaped by its zygote, before Brick
// watches it: the start still fails with the hook's traceback, not with
// an error about pidfds that sent the operator to upgrade Linux.
func TestPreloadQuickDeath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hooklater.py"), []byte(hookLaterApp), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "hooklater", Dir: dir, Workers: 1}, Preload: true})
	// The worker is reaped while Brick looks away.
	wsgi.SetForkedHook(g.pool, func() { time.Sleep(300 * time.Millisecond) })
	if err := os.WriteFile(filepath.Join(dir, "fail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := g.pool.Reload()
	if err == nil || !strings.Contains(err.Error(), "brick_post_fork failed") || !strings.Contains(err.Error(), "no database here") {
		t.Errorf("Reload: %v; want the hook's traceback", err)
	}
	g.mustGet(t, "/", 200)
}
