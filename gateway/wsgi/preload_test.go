package wsgi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// preloadApp opens a sqlite database at import, as an application opens
// its database connection; brick_post_fork (defined unless NO_HOOK is
// set) reopens it in each forked worker. /conn answers "pid conn_pid
// version": the worker, the process that opened its connection, and the
// code's version.
const preloadApp = `import os, sqlite3, time
VERSION = %q
DB = os.environ["PRELOAD_DB"]
conn = sqlite3.connect(DB, check_same_thread=False)
conn_pid = os.getpid()
if os.environ.get("BROKEN"):
    raise RuntimeError("this version does not import")

if not os.environ.get("NO_HOOK"):
    def brick_post_fork():
        global conn, conn_pid
        conn.close()
        conn = sqlite3.connect(DB, check_same_thread=False)
        conn_pid = os.getpid()

def application(environ, start_response):
    time.sleep(0.3)  # so that concurrent requests reach every worker
    conn.execute("select 1").fetchone()
    body = ("%%d %%d %%s" %% (os.getpid(), conn_pid, VERSION)).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
`

func writePreloadApp(t *testing.T, dir, version string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "preloadapp.py"), []byte(fmt.Sprintf(preloadApp, version)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ppid returns the parent of pid.
func ppid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, _ := strconv.Atoi(f[1])
	return n
}

// conns asks until every one of n workers answered /conn, and returns
// their answers by pid.
func conns(t *testing.T, g *gateway, n int) map[int][2]string {
	t.Helper()
	seen := map[int][2]string{}
	for i := 0; len(seen) < n && i < 10; i++ {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				r := g.get(t, "/conn")
				f := strings.Fields(r.body)
				if r.status != 200 || len(f) != 3 {
					t.Errorf("GET /conn: %d %q %v", r.status, r.body, r.err)
					return
				}
				pid, _ := strconv.Atoi(f[0])
				mu.Lock()
				seen[pid] = [2]string{f[1], f[2]}
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	if len(seen) < n {
		t.Fatalf("only %d of %d workers answered", len(seen), n)
	}
	return seen
}

// TestPreload: with Preload the workers are forked by a zygote that
// imported the application once; brick_post_fork gives each worker a
// connection of its own (without it they would share the zygote's); a
// dead worker is replaced by a fork from the same zygote; Reload starts
// a new zygote with the new code, and one whose import fails changes
// nothing; a dead zygote is replaced when a worker next needs one.
func TestPreload(t *testing.T) {
	t.Parallel()
	for _, hook := range []bool{true, false} {
		t.Run(fmt.Sprintf("hook=%v", hook), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writePreloadApp(t, dir, "one")
			env := []string{"PRELOAD_DB=" + filepath.Join(dir, "db.sqlite")}
			if !hook {
				env = append(env, "NO_HOOK=1")
			}
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "preloadapp", Dir: dir, Workers: 2, Env: env}, Preload: true})
			zyg := wsgi.ZygotePIDs(g.pool)
			if len(zyg) != 1 {
				t.Fatalf("zygotes %v, want one", zyg)
			}
			pids := waitPIDs(t, g.pool, 2, nil)
			for _, pid := range pids {
				if pp := ppid(t, pid); pp != zyg[0] {
					t.Errorf("worker %d is a child of %d, want the zygote %d", pid, pp, zyg[0])
				}
			}
			for pid, a := range conns(t, g, 2) {
				opener, _ := strconv.Atoi(a[0])
				if own := opener == pid; own != hook {
					t.Errorf("worker %d uses a connection opened by %d; own connection: %v, want %v", pid, opener, own, hook)
				}
			}
			if !hook {
				return
			}

			// A worker that dies is replaced by a fork of the same zygote,
			// and the zygote says how it ended.
			syscall.Kill(pids[0], syscall.SIGKILL)
			after := waitPIDs(t, g.pool, 2, pids)
			for _, pid := range after {
				if ppid(t, pid) != zyg[0] {
					t.Errorf("replacement %d is not the zygote's child", pid)
				}
			}
			g.log.waitFor(t, 5*time.Second, "killed by signal 9 (SIGKILL)")

			// A version that does not import changes nothing.
			writePreloadApp(t, dir, "two")
			os.WriteFile(filepath.Join(dir, "preloadapp.py"), []byte("raise RuntimeError('broken version')\n"), 0o644)
			if err := g.pool.Reload(); err == nil || !strings.Contains(err.Error(), "broken version") {
				t.Fatalf("Reload of a broken version: %v, want the import's error", err)
			}
			if now := waitPIDs(t, g.pool, 2, nil); !slices.Equal(now, after) {
				t.Errorf("after a failed reload the workers are %v, want %v serving on", now, after)
			}
			if z := wsgi.ZygotePIDs(g.pool); !slices.Equal(z, zyg) {
				t.Errorf("after a failed reload the zygotes are %v, want %v", z, zyg)
			}
			for _, a := range conns(t, g, 2) {
				if a[1] != "one" {
					t.Errorf("after a failed reload a worker runs version %s", a[1])
				}
			}

			// A good version: a new zygote, new workers with the new code.
			writePreloadApp(t, dir, "two")
			if err := g.pool.Reload(); err != nil {
				t.Fatal(err)
			}
			z2 := wsgi.ZygotePIDs(g.pool)
			if len(z2) != 1 || z2[0] == zyg[0] {
				t.Fatalf("after a reload the zygotes are %v, want one new one (the old was %v)", z2, zyg)
			}
			for pid, a := range conns(t, g, 2) {
				if a[1] != "two" || ppid(t, pid) != z2[0] {
					t.Errorf("after a reload worker %d runs version %s as a child of %d", pid, a[1], ppid(t, pid))
				}
			}
			// The old zygote leaves once its workers have, having reaped
			// them: none is left an orphan.
			waitUntil(t, 10*time.Second, "the old zygote gone", func() bool { return !isAlive(zyg[0]) })
			for _, pid := range after {
				if isAlive(pid) {
					t.Errorf("old worker %d still runs", pid)
				}
			}

			// The zygote dies: the workers serve on, and the next worker
			// needed comes from a new zygote.
			syscall.Kill(z2[0], syscall.SIGKILL)
			waitUntil(t, 5*time.Second, "the zygote reaped", func() bool { return !isAlive(z2[0]) })
			workers := waitPIDs(t, g.pool, 2, nil)
			g.mustGet(t, "/conn", 200)
			syscall.Kill(workers[0], syscall.SIGKILL)
			waitPIDs(t, g.pool, 2, workers)
			z3 := wsgi.ZygotePIDs(g.pool)
			if len(z3) != 1 || z3[0] == z2[0] {
				t.Errorf("after the zygote died the zygotes are %v", z3)
			}
			g.log.waitFor(t, 5*time.Second, "wsgi zygote exited; starting another")
		})
	}
	noZombies(t)
}

// isAlive reports whether pid runs (and is not a zombie).
func isAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestPreloadHookFails: a brick_post_fork that raises fails the start
// with its traceback, as an import error does.
func TestPreloadHookFails(t *testing.T) {
	t.Parallel()
	needPython(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hookapp.py"), []byte("def brick_post_fork():\n    raise ValueError('no database here')\n\ndef application(e, s):\n    s('200 OK', [])\n    return [b'x']\n"), 0o644)
	log, lb := newLogger()
	p, err := wsgi.NewPool(wsgi.Config{Settings: pyproc.Settings{App: "hookapp", Dir: dir, Python: python, Workers: 1}, Preload: true}, log)
	if err == nil {
		p.Close()
		t.Fatal("NewPool succeeded with a failing brick_post_fork")
	}
	if !strings.Contains(err.Error(), "brick_post_fork failed") || !strings.Contains(err.Error(), "no database here") {
		t.Errorf("error %v; want the hook's traceback\nlog:\n%s", err, lb)
	}
	noZombies(t)
}

// TestPreloadTimeoutStack: a forked worker that hangs is found by the
// timeout like any other, its Python stack (written to its own output
// pipe) is in the log line, and a fork of the zygote replaces it.
func TestPreloadTimeoutStack(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Timeout: time.Second}, Preload: true})
	before := waitPIDs(t, g.pool, 1, nil)
	if r := g.get(t, "/sleep?s=30"); r.status != 504 {
		t.Fatalf("GET /sleep?s=30 = %d %v, want 504", r.status, r.err)
	}
	g.log.waitFor(t, 10*time.Second, "request timed out")
	if line := g.log.line("request timed out"); !strings.Contains(line, `rawapp.py\", line`) {
		t.Errorf("the timeout's log line lacks the forked worker's stack: %s", line)
	}
	after := waitPIDs(t, g.pool, 1, before)
	if z := wsgi.ZygotePIDs(g.pool); len(z) != 1 || ppid(t, after[0]) != z[0] {
		t.Errorf("the replacement %v is not a fork of the zygote %v", after, z)
	}
	g.mustGet(t, "/hello", 200)
}
