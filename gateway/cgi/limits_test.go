package cgi_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/cgi"
)

// gone waits until no process has pid (a zombie counts as gone: it runs
// nothing).
func gone(t *testing.T, pid int) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, os.ErrNotExist) {
			return true
		}
		if f := strings.Fields(string(stat)); err == nil && len(f) > 2 && f[2] == "Z" {
			return true
		}
	}
	return false
}

// readPids reads the pids a script wrote, one a line.
func readPids(t *testing.T, name string) []int {
	t.Helper()
	var pids []int
	for deadline := time.Now().Add(5 * time.Second); len(pids) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(name)
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	if len(pids) < 2 {
		t.Fatalf("the script wrote pids %v to %s, want its own and its child's", pids, name)
	}
	return pids
}

// TestTimeout: a script past its timeout is killed with its whole process
// group (a child it started sleeping included): 504 before its header,
// a cut response after it.
func TestTimeout(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	spawn := func(before string) string {
		// The child is a sleep in the background; both pids go to a file.
		return "#!/bin/sh\n" + before + "sleep 300 &\necho $$ $! > \"$PIDS\"\nwait\n"
	}
	root := makeRoot(t, map[string]file{
		"hang.sh":    exe(spawn("")),
		"partial.sh": exe(spawn("printf 'Content-Type: text/plain\\n\\npartial'\n")),
	})
	tests := []struct {
		script string
		status int
	}{
		{"hang.sh", 504},
		{"partial.sh", 200},
	}
	for _, tc := range tests {
		pidFile := filepath.Join(dir, tc.script+".pids")
		addr, log := serve(t, cgi.Config{Root: root, Timeout: 500 * time.Millisecond, Env: []string{"PIDS=" + pidFile}})
		start := time.Now()
		r := get(t, addr, "/cgi-bin/"+tc.script)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.script, r.status, tc.status)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: answered after %v; the timeout is 500ms", tc.script, took)
		}
		if tc.status == 200 && r.err == nil {
			t.Errorf("%s: the cut response %q read as complete", tc.script, r.body)
		}
		for _, pid := range readPids(t, pidFile) {
			if !gone(t, pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("%s: process %d still runs after the timeout", tc.script, pid)
			}
		}
		log.waitFor(t, "/cgi-bin/"+tc.script, "ran past its timeout")
	}
}

// TestContainment: only executable regular files inside the root run.
func TestContainment(t *testing.T) {
	needTools(t)
	outside := t.TempDir()
	evil := filepath.Join(outside, "evil.sh")
	if err := os.WriteFile(evil, []byte("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nEVIL'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ok := "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nok %s' \"$PATH_INFO\"\n"
	root := makeRoot(t, map[string]file{
		"ok.sh":          exe(ok),
		"sub/deep.sh":    exe(ok),
		"link.sh":        {link: "ok.sh"},
		"out.sh":         {link: evil},
		"outdir":         {link: outside},
		"plain.txt":      {body: "#!/bin/sh\necho hi\n", mode: 0o644},
		".hidden.sh":     exe(ok),
		".git/hook.sh":   exe(ok),
		"sub/.secret.sh": exe(ok),
	})
	addr, _ := serve(t, cgi.Config{Root: root})
	tests := []struct {
		target string
		status int
		body   string
	}{
		{"/cgi-bin/ok.sh", 200, "ok "},
		{"/cgi-bin/ok.sh/x/y", 200, "ok /x/y"},
		{"/cgi-bin/sub/deep.sh/z", 200, "ok /z"},
		{"/cgi-bin/sub%2Fdeep.sh", 200, "ok "},
		{"/cgi-bin/link.sh/i", 200, "ok /i"}, // a link inside the root
		{"/cgi-bin/out.sh", 404, ""},         // a link out of it
		{"/cgi-bin/outdir/evil.sh", 404, ""},
		{"/cgi-bin/../x", 400, ""},
		{"/cgi-bin/%2e%2e/" + filepath.Base(outside) + "/evil.sh", 400, ""},
		{"/cgi-bin/sub/..%2f..%2fx", 400, ""},
		{"/cgi-bin/ok.sh%00", 400, ""},
		{"/cgi-bin/plain.txt", 403, ""},
		{"/cgi-bin/.hidden.sh", 404, ""},
		{"/cgi-bin/.git/hook.sh", 404, ""},
		{"/cgi-bin/sub/.secret.sh", 404, ""},
		{"/cgi-bin/sub", 404, ""},
		{"/cgi-bin/sub/", 404, ""},
		{"/cgi-bin/", 404, ""},
		{"/cgi-bin//ok.sh", 404, ""},
		{"/cgi-bin/missing.sh", 404, ""},
		{"/elsewhere/ok.sh", 404, ""},
		{"/cgi-binx/ok.sh", 404, ""},
	}
	for _, tc := range tests {
		r := get(t, addr, tc.target)
		if r.status != tc.status || tc.body != "" && string(r.body) != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.target, r.status, r.body, tc.status, tc.body)
		}
		if strings.Contains(string(r.body), "EVIL") {
			t.Errorf("GET %s ran a script outside the root", tc.target)
		}
	}
}

// TestNewRefusesBadRoot: a root that is missing or not a directory is an
// error that names it.
func TestNewRefusesBadRoot(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	for _, root := range []string{"", filepath.Join(t.TempDir(), "missing"), f} {
		_, err := cgi.New(cgi.Config{Root: root, Timeout: time.Second})
		if err == nil || root != "" && !strings.Contains(err.Error(), root) {
			t.Errorf("New with root %q: %v, want an error naming it", root, err)
		}
	}
}

// TestLingeringStderr: a script that leaves a child holding its standard
// error open (but not its output) is answered when it exits, not when
// its timeout runs out.
func TestLingeringStderr(t *testing.T) {
	needTools(t)
	root := makeRoot(t, map[string]file{
		"bg.sh": exe("#!/bin/sh\nsleep 15 >/dev/null &\necho started >&2\nprintf 'Content-Type: text/plain\\n\\ndone'\n"),
	})
	addr, log := serve(t, cgi.Config{Root: root, Timeout: 20 * time.Second})
	start := time.Now()
	if r := get(t, addr, "/cgi-bin/bg.sh"); r.status != 200 || string(r.body) != "done" {
		t.Fatalf("%d %q", r.status, r.body)
	}
	// The child holds stderr for 15 s: an answer well before that came
	// when the script exited, however loaded the machine.
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("answered after %v; the script exited at once", took)
	}
	log.waitFor(t, "script=/cgi-bin/bg.sh", "started")
}
