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

// shareApp answers "pid fds first": the worker, the descriptors it has
// open (below 4096), and the first number its random
// module gave it, drawn at its first request.
const shareApp = `import os, random, time
FIRST = None

def application(environ, start_response):
    global FIRST
    if FIRST is None:
        FIRST = random.random()
    fds = []
    for fd in range(4096):  # a listing of /proc/self/fd would open some
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            pass
    time.sleep(0.2)  # so that concurrent requests reach every worker
    body = "%d %s %r" % (os.getpid(), ",".join(map(str, fds)), FIRST)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
`

// inherited lists the descriptors this process has open without
// close-on-exec: every process it starts inherits them (an environment's
// descriptors, not Brick's doing).
func inherited(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fdinfo")
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		b, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				if flags, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 64); flags&0o2000000 == 0 {
					fds = append(fds, fd)
				}
			}
		}
	}
	return fds
}

// TestWorkerShares: a worker, forked by a zygote or not, has open only
// its standard input and output, its socket to Brick as descriptor 3, and
// what Brick itself inherited; and workers forked from one zygote do not
// share the random module's state (Python reseeds it after a fork).
func TestWorkerShares(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shareapp.py"), []byte(shareApp), 0o644); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(append([]int{0, 1, 2, 3}, inherited(t)...)))
	for _, preload := range []bool{false, true} {
		t.Run(fmt.Sprintf("preload=%v", preload), func(t *testing.T) {
			t.Parallel()
			const n = 3
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "shareapp", Dir: dir, Workers: n}, Preload: preload})
			seen := map[string][]string{} // pid: fds, first random
			for range 10 {
				var mu sync.Mutex
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						r := g.get(t, "/")
						f := strings.Fields(r.body)
						if r.status != 200 || len(f) != 3 {
							t.Errorf("GET /: %d %q %v", r.status, r.body, r.err)
							return
						}
						mu.Lock()
						seen[f[0]] = f[1:]
						mu.Unlock()
					})
				}
				wg.Wait()
				if len(seen) == n || t.Failed() {
					break
				}
			}
			if len(seen) != n {
				t.Fatalf("%d of %d workers answered", len(seen), n)
			}
			firsts := map[string]string{}
			for pid, a := range seen {
				var fds []int
				for _, s := range strings.Split(a[0], ",") {
					fd, _ := strconv.Atoi(s)
					fds = append(fds, fd)
				}
				if !slices.Equal(fds, want) {
					t.Errorf("worker %s has descriptors %v open, want %v", pid, fds, want)
				}
				if other, ok := firsts[a[1]]; ok {
					t.Errorf("workers %s and %s drew the same first random number %s", pid, other, a[1])
				}
				firsts[a[1]] = pid
			}
		})
	}
}

// spawnApp starts a child process (sleep) for each request, notes its
// pid in the file "child" beside it, and then hangs, or at /crash exits.
const spawnApp = `import os, subprocess, time
HERE = os.path.dirname(os.path.abspath(__file__))

def application(environ, start_response):
    child = subprocess.Popen(["sleep", "60"])
    with open(os.path.join(HERE, "child"), "w") as f:
        f.write(str(child.pid))
    if environ["PATH_INFO"] == "/crash":
        os._exit(3)
    time.sleep(60)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"late"]
`

// TestDeadWorkerTakesItsChildren: a worker killed for running past the
// timeout, or that exits on its own, takes the processes its application
// started with it (they are in its process group), forked by a zygote or
// not.
func TestDeadWorkerTakesItsChildren(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path   string
		status int
	}{{"/", 504}, {"/crash", 502}} {
		for _, preload := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s preload=%v", tc.path, preload), func(t *testing.T) {
				t.Parallel()
				deadWorkerTakesItsChildren(t, tc.path, tc.status, preload)
			})
		}
	}
}

func deadWorkerTakesItsChildren(t *testing.T, path string, status int, preload bool) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spawnapp.py"), []byte(spawnApp), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "spawnapp", Dir: dir, Timeout: time.Second}, Preload: preload})
	if r := g.get(t, path); r.status != status {
		t.Fatalf("GET %s = %d %v, want %d", path, r.status, r.err, status)
	}
	b, err := os.ReadFile(filepath.Join(dir, "child"))
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(string(b))
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	waitUntil(t, 5*time.Second, "the application's child gone with its worker", func() bool { return !isAlive(child) })
}
