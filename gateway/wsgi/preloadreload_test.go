package wsgi_test

import (
	"errors"
	"os"
	"os/exec"
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

// stallApp is an application whose import, once the file "stall" beside
// it exists, notes that it began (the file "importing") and sleeps for the
// seconds the stall file gives, then raises if the file says "fail".
const stallApp = `import os, time
HERE = os.path.dirname(os.path.abspath(__file__))
STALL = os.path.join(HERE, "stall")
if os.path.exists(STALL):
    how = open(STALL).read().split()
    open(os.path.join(HERE, "importing"), "w").close()
    time.sleep(float(how[0]))
    if "fail" in how:
        raise RuntimeError("the new version does not import")

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
`

// childrenIn returns the pids of this process's children (zygotes and
// workers it started itself) whose working directory is dir.
func childrenIn(dir string) []int {
	me := strconv.Itoa(os.Getpid())
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 || f[1] != me || f[0] == "Z" {
			continue
		}
		if cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd"); err == nil && cwd == dir {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// TestPreloadReloadStalls: while a Reload's new zygote imports the new
// code (slowly, past the start timeout, or only to fail), the old
// generation serves on whole: a worker of it that dies is forked again at
// once by the old zygote, not after the new zygote's import ends. A
// Reload that fails leaves no zygote of the new code behind.
func TestPreloadReloadStalls(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		stall  string // what the stall file says: seconds, and "fail"
		reload string // in Reload's error; "" for none
	}{
		{name: "import past the start timeout", stall: "30", reload: "not ready after"},
		{name: "slow import", stall: "3"},
		{name: "import fails late", stall: "3 fail", reload: "the new version does not import"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "stallapp.py"), []byte(stallApp), 0o644); err != nil {
				t.Fatal(err)
			}
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "stallapp", Dir: dir, Workers: 2,
				StartTimeout: 4 * time.Second}, Preload: true})
			old := waitPIDs(t, g.pool, 2, nil)
			zyg := wsgi.ZygotePIDs(g.pool)
			os.WriteFile(filepath.Join(dir, "stall"), []byte(tc.stall), 0o644)
			reloaded := make(chan error, 1)
			go func() { reloaded <- g.pool.Reload() }()
			waitUntil(t, 10*time.Second, "the new code importing", func() bool {
				_, err := os.Stat(filepath.Join(dir, "importing"))
				return err == nil
			})

			syscall.Kill(old[0], syscall.SIGKILL)
			killed := time.Now()
			var now []int
			waitUntil(t, 10*time.Second, "the dead worker replaced", func() bool {
				now = wsgi.WorkerPIDs(g.pool)
				return len(now) == 2 && !slices.Contains(now, old[0])
			})
			if took := time.Since(killed); took > 1500*time.Millisecond {
				t.Errorf("the dead worker was replaced after %v, while the new code imported; want at once", took)
			}
			for _, pid := range now {
				if pp := ppid(t, pid); pp != zyg[0] {
					t.Errorf("worker %d is a child of %d, want the old zygote %d", pid, pp, zyg[0])
				}
			}

			err := <-reloaded
			if tc.reload == "" {
				if err != nil {
					t.Fatalf("Reload: %v", err)
				}
				if z := wsgi.ZygotePIDs(g.pool); len(z) != 1 || z[0] == zyg[0] {
					t.Errorf("after the reload the zygotes are %v (the old one %v)", z, zyg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.reload) {
				t.Fatalf("Reload: %v, want %q", err, tc.reload)
			}
			if z := wsgi.ZygotePIDs(g.pool); !slices.Equal(z, zyg) {
				t.Errorf("after the failed reload the zygotes are %v, want %v", z, zyg)
			}
			// Of the processes started here, only the old zygote is left:
			// no half-started zygote of the new code.
			waitUntil(t, 5*time.Second, "only the old zygote left", func() bool { return slices.Equal(childrenIn(dir), zyg) })
			g.mustGet(t, "/", 200)
		})
	}
	noZombies(t)
}

// TestPreloadZygoteFails: the workers of a zygote that died or hangs
// serve on, and the next worker needed comes from a new zygote: one that
// does not answer a fork within the start timeout is killed (it would
// otherwise be asked again and again, and its late answer taken for the
// next fork's).
func TestPreloadZygoteFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		logs []string
	}{
		{name: "killed", sig: syscall.SIGKILL, logs: []string{"wsgi zygote exited; starting another"}},
		{name: "stuck", sig: syscall.SIGSTOP, logs: []string{"the zygote did not fork a worker within 1s; killed it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Workers: 2, StartTimeout: time.Second}, Preload: true})
			old := waitPIDs(t, g.pool, 2, nil)
			zyg := wsgi.ZygotePIDs(g.pool)
			syscall.Kill(zyg[0], tc.sig)
			syscall.Kill(old[0], syscall.SIGKILL)
			now := waitPIDs(t, g.pool, 2, old)
			z := wsgi.ZygotePIDs(g.pool)
			if len(z) != 1 || z[0] == zyg[0] {
				t.Fatalf("zygotes %v, want a new one in place of %d", z, zyg[0])
			}
			for _, pid := range now {
				if pid != old[1] && ppid(t, pid) != z[0] {
					t.Errorf("replacement %d is not the new zygote's child", pid)
				}
			}
			if !slices.Contains(now, old[1]) {
				t.Errorf("workers %v: the old zygote's surviving worker %d is gone", now, old[1])
			}
			waitUntil(t, 5*time.Second, "the old zygote gone", func() bool { return !isAlive(zyg[0]) })
			g.log.waitFor(t, 5*time.Second, tc.logs...)
			for range 4 {
				g.mustGet(t, "/pid", 200)
			}
		})
	}
	noZombies(t)
}

// TestBrickDies: when Brick dies without stopping its workers (killed, or
// crashed), none of them outlives it, idle or busy in a request, forked
// by a zygote or not. A stand-in Brick (this test binary, as a helper)
// starts a pool, gives one worker a request that starts a child process
// and hangs, and exits. With preload the zygote takes the worker's
// process group, the child too; without, Brick's parent-death signal
// reaches the worker only.
func TestBrickDies(t *testing.T) {
	if os.Getenv("WSGI_TEST_HELPER") == "brick-dies" {
		dir := os.Getenv("APP_DIR")
		g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "spawnapp", Dir: dir, Workers: 2}, Preload: os.Getenv("PRELOAD") == "1"})
		go g.client.Get(g.url + "/")
		var child []byte
		waitUntil(t, 10*time.Second, "a worker busy with a child", func() bool {
			child, _ = os.ReadFile(filepath.Join(dir, "child"))
			return len(child) > 0
		})
		pids := append(wsgi.WorkerPIDs(g.pool), wsgi.ZygotePIDs(g.pool)...)
		for _, pid := range pids {
			os.Stdout.WriteString(strconv.Itoa(pid) + "\n")
		}
		os.Stdout.WriteString("child " + string(child) + "\n")
		os.Exit(3) // a crash, as far as the workers can tell
	}
	t.Parallel()
	for _, preload := range []bool{false, true} {
		t.Run("preload="+strconv.FormatBool(preload), func(t *testing.T) {
			t.Parallel()
			needPython(t)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "spawnapp.py"), []byte(spawnApp), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrickDies$")
			cmd.Env = append(os.Environ(), "WSGI_TEST_HELPER=brick-dies", "APP_DIR="+dir, "PRELOAD="+map[bool]string{true: "1"}[preload])
			out, err := cmd.Output()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 3 {
				t.Fatalf("helper: %v, output %q", err, out)
			}
			procs, childLine, _ := strings.Cut(string(out), "child ")
			child, err := strconv.Atoi(strings.TrimSpace(childLine))
			if err != nil {
				t.Fatalf("helper output %q", out)
			}
			t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
			var pids []int
			for _, f := range strings.Fields(procs) {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("helper output %q", out)
				}
				pids = append(pids, pid)
			}
			if want := map[bool]int{false: 2, true: 3}[preload]; len(pids) != want {
				t.Fatalf("helper reported %v, want %d processes", pids, want)
			}
			if preload {
				pids = append(pids, child)
			}
			waitUntil(t, 5*time.Second, "every worker gone with Brick", func() bool {
				for _, pid := range pids {
					if isAlive(pid) {
						return false
					}
				}
				return true
			})
		})
	}
}

// forkFailApp counts its imports in the file "imports" beside it, and
// makes os.fork fail (EAGAIN, as at a process limit) as many times as
// the file "fail" says, once it exists.
const forkFailApp = `import errno, os
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "imports"), "a") as f:
    f.write("import\n")
_fork = os.fork

def fork():
    path = os.path.join(HERE, "fail")
    try:
        left = int(open(path).read())
    except (OSError, ValueError):
        left = 0
    if left > 0:
        open(path, "w").write(str(left - 1))
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
    return _fork()

os.fork = fork

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
`

// TestPreloadForkFails: a zygote whose fork fails (a process limit, no
// memory) says why and serves on: the worker is asked for again after a
// backoff, from the same zygote, without importing the application again.
func TestPreloadForkFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "forkfail.py"), []byte(forkFailApp), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "forkfail", Dir: dir, Workers: 2}, Preload: true})
	old := waitPIDs(t, g.pool, 2, nil)
	zyg := wsgi.ZygotePIDs(g.pool)
	os.WriteFile(filepath.Join(dir, "fail"), []byte("2"), 0o644)
	syscall.Kill(old[0], syscall.SIGKILL)
	now := waitPIDs(t, g.pool, 2, old)
	if z := wsgi.ZygotePIDs(g.pool); !slices.Equal(z, zyg) {
		t.Errorf("zygotes %v after failed forks, want %v serving on", z, zyg)
	}
	for _, pid := range now {
		if pp := ppid(t, pid); pp != zyg[0] {
			t.Errorf("worker %d is a child of %d, want the zygote %d", pid, pp, zyg[0])
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "imports")); strings.Count(string(b), "import") != 1 {
		t.Errorf("the application was imported %d times, want once", strings.Count(string(b), "import"))
	}
	g.log.waitFor(t, 5*time.Second, "the zygote could not fork a worker", "Resource temporarily unavailable")
	g.mustGet(t, "/", 200)
}
