package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pidsLogged returns the pids of the log lines with message msg.
func pidsLogged(out, msg string) []int {
	var pids []int
	for _, m := range regexp.MustCompile(`msg="`+regexp.QuoteMeta(msg)+`[^"]*" (?:app=\S+ )?pid=(\d+)`).FindAllStringSubmatch(out, -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	return pids
}

// serveAndStop runs `brick wsgi` with the flag preload: a Flask
// application answers, and SIGTERM stops brick with its workers and
// zygote, none left an orphan.
func serveAndStop(t *testing.T, python, apps, preload string) {
	p := start(t, "wsgi", "flaskapp:app", "--chdir", apps, "--python", python, "--workers", "2", preload, "-addr", "127.0.0.1:0")
	if status, body, _ := get(t, "http://"+p.addr+"/hello"); status != 200 || body != "Hello, World!" {
		t.Errorf("GET /hello = %d %q", status, body)
	}
	procs := pidsLogged(p.output(), "wsgi worker ready")
	if len(procs) != 2 {
		t.Fatalf("workers %v in the log, want 2:\n%s", procs, p.output())
	}
	zygotes := pidsLogged(p.output(), "wsgi zygote ready")
	if want := map[string]int{"--preload": 1}[preload]; len(zygotes) != want {
		t.Fatalf("zygotes %v in the log, want %d:\n%s", zygotes, want, p.output())
	}
	procs = append(procs, zygotes...)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("brick wsgi did not exit after SIGTERM:\n%s", p.output())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, p.output())
	}
	// brick reaps its workers (the zygote, its own) before it exits, so
	// they are gone, not orphans left to init.
	for _, pid := range procs {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("process %d outlived brick (kill 0: %v)", pid, err)
		}
	}
}

// reloadCode runs `brick wsgi` with the flag preload and sends SIGHUP:
// the same pool serves the new code, from a new zygote with --preload.
func reloadCode(t *testing.T, python, preload string) {
	dir := t.TempDir()
	write := func(v string) {
		app := "def application(environ, start_response):\n" +
			"    start_response('200 OK', [('Content-Type', 'text/plain')])\n" +
			"    return [b'" + v + "']\n"
		if err := os.WriteFile(filepath.Join(dir, "codeapp.py"), []byte(app), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	p := start(t, "wsgi", "codeapp", "--chdir", dir, "--python", python, "--workers", "1", preload, "-addr", "127.0.0.1:0")
	if _, body, _ := get(t, "http://"+p.addr+"/"); body != "one" {
		t.Fatalf("GET / = %q, want one", body)
	}
	write("two")
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, body, _ := get(t, "http://"+p.addr+"/"); body == "two" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new code never answered after SIGHUP:\n%s", p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(p.output(), "pools_kept=1") {
		t.Errorf("the reload did not keep the pool:\n%s", p.output())
	}
	if z := pidsLogged(p.output(), "wsgi zygote ready"); preload == "--preload" && len(z) != 2 {
		t.Errorf("zygotes %v in the log, want the first and the reload's:\n%s", z, p.output())
	}
}
