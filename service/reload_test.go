package service_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// codeApp answers "CODE pid": which version of its code the worker
// imported, and which worker it is.
const codeApp = `import os
CODE = %q

def application(environ, start_response):
    body = ("%%s %%d" %% (CODE, os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

func writeCode(t *testing.T, dir, code string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "codeapp.py"), []byte(fmt.Sprintf(codeApp, code)), 0o644); err != nil {
		t.Fatal(err)
	}
}

const codeConf = `
[server]
listen = ["127.0.0.1:0"]
reload_grace = "20s"

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/"
  wsgi = { app = "codeapp", chdir = ".", python = "{{python}}", workers = {{workers}} }
`

func codeConfWorkers(n int) string {
	return strings.ReplaceAll(codeConf, "{{workers}}", strconv.Itoa(n))
}

// workerChildren counts this process's children running Brick's WSGI
// worker script.
func workerChildren() int { return len(workerPids()) }

// workerPids lists this process's children running Brick's WSGI worker
// script.
func workerPids() map[string]bool {
	me := strconv.Itoa(os.Getpid())
	ents, _ := os.ReadDir("/proc")
	pids := map[string]bool{}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so from the last ")".
		i := strings.LastIndexByte(string(stat), ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != me {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.Contains(string(cmd), "worker.py") {
			pids[e.Name()] = true
		}
	}
	return pids
}

// answer GETs url and returns the code version and the worker's pid.
func answer(t *testing.T, url string) (code, pid string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %q", url, resp.StatusCode, b)
	}
	code, pid, _ = strings.Cut(string(b), " ")
	return code, pid
}

// TestReloadKeepsUnchangedPool: a reload whose file did not change keeps
// the WSGI pool (the same *wsgi.Pool, never a second pool beside the
// first) and reloads its code in place (Pool.Reload): afterwards every
// worker is a new process answering with the new code, and the pool is
// back to its size; a change of the route's pool (workers 2 → 3) starts a
// new pool.
func TestReloadKeepsUnchangedPool(t *testing.T) {
	const workers = 2
	var appDir string
	f := load(t, codeConfWorkers(workers), func(dir string) { appDir = dir; writeCode(t, dir, "one") })
	pool := f.svc.PoolsForTest()
	if len(pool) != 1 {
		t.Fatalf("pools: %v", pool)
	}
	waitWorkers(t, workers)

	// Count the worker processes while the reload runs and the code rolls.
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if n := int64(workerChildren()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	before := workerPids()
	writeCode(t, appDir, "two")
	if err := f.svc.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := f.svc.PoolsForTest(); len(got) != 1 || got[0] != pool[0] {
		t.Errorf("an unchanged pool was replaced: %v, then %v", pool, got)
	}
	// Every worker moves to the new code: each worker process is one
	// started after the reload (answers alone could all come from one
	// warm worker), and they answer with the new code.
	deadline := time.Now().Add(20 * time.Second)
	for {
		now := workerPids()
		fresh := len(now) == workers
		for pid := range now {
			fresh = fresh && !before[pid]
		}
		if code, pid := answer(t, f.base+"/"); fresh && code == "two" && now[pid] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the reload: worker processes %v (before: %v); want %d new ones answering the new code", now, before, workers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	// How many processes run at once while the code rolls is
	// Pool.Reload's to decide (it may start the new code's workers before
	// the old ones leave); the service's part is not to start a second
	// pool beside the first, checked above by identity.
	t.Logf("worker processes peaked at %d for a pool of %d", peak.Load(), workers)

	// New code that does not import: the reload fails, and the pool
	// serves on with the code it has.
	if err := os.WriteFile(filepath.Join(appDir, "codeapp.py"), []byte("raise RuntimeError('broken')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Reload(); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("Reload of code that does not import: %v; want the traceback", err)
	}
	if got := f.svc.PoolsForTest(); len(got) != 1 || got[0] != pool[0] {
		t.Errorf("a failed reload replaced the pool: %v, then %v", pool, got)
	}
	if code, _ := answer(t, f.base+"/"); code != "two" {
		t.Errorf("after a failed reload the pool answers %q, want two", code)
	}
	writeCode(t, appDir, "two")

	// A changed pool is started anew, with all its workers.
	f.write(t, codeConfWorkers(workers+1))
	if err := f.svc.Reload(); err != nil {
		t.Fatalf("Reload with workers %d: %v", workers+1, err)
	}
	if got := f.svc.PoolsForTest(); len(got) != 1 || got[0] == pool[0] {
		t.Errorf("a changed pool was kept: %v, then %v", pool, got)
	}
	deadline = time.Now().Add(20 * time.Second)
	for workerChildren() != workers+1 {
		if time.Now().After(deadline) {
			t.Fatalf("worker processes %d after the old pool's grace; want %d", workerChildren(), workers+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitWorkers waits until n worker processes run.
func waitWorkers(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for workerChildren() != n {
		if time.Now().After(deadline) {
			t.Fatalf("worker processes: %d, want %d", workerChildren(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
