package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// TestWorkersFollowCPUQuota: with no workers given, a server in a cgroup
// whose CPU quota is one CPU's time starts one worker, whatever the CPUs
// it may run on; without a quota, one per CPU. Brick runs in a cgroup of
// its own made for the test (version 1's cpu controller, or version 2's
// when the test runs in the root cgroup), as a container runtime does.
func TestWorkersFollowCPUQuota(t *testing.T) {
	python := testutil.NeedPython(t)
	wsgiDir, err := filepath.Abs(wsgiApps)
	if err != nil {
		t.Fatal(err)
	}
	asgiDir, err := filepath.Abs(filepath.Join("..", "..", "gateway", "asgi", "testdata", "apps"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, kind, app, dir string
		quota                bool
		want                 int
	}{
		{"wsgi, one CPU's quota", "wsgi", "rawapp:application", wsgiDir, true, 1},
		{"asgi, one CPU's quota", "asgi", "rawapp:app", asgiDir, true, 1},
		{"wsgi, no quota", "wsgi", "rawapp:application", wsgiDir, false, runtime.NumCPU()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{tc.kind, tc.app, "--chdir", tc.dir, "--python", python, "-addr", "127.0.0.1:0"}
			var p *proc
			if tc.quota {
				procs := cpuQuotaCgroup(t, 100000, 100000)
				// The shell joins the cgroup, then becomes brick: the
				// quota is in force before brick reads it.
				p = startCmd(t, exec.Command("sh", append([]string{"-c", `echo $$ > "$0" && exec "$@"`, procs, binary(t)}, args...)...))
			} else {
				p = start(t, args...)
			}
			if status, _, _ := get(t, "http://"+p.addr+"/hello"); status != 200 {
				t.Fatalf("GET /hello = %d", status)
			}
			// NewPool returns once every worker is ready, before serving.
			if got := strings.Count(p.output(), "worker ready"); got != tc.want {
				t.Fatalf("%d workers started, want %d:\n%s", got, tc.want, p.output())
			}
		})
	}
}

// cpuQuotaCgroup makes a cgroup whose CPU quota is quota µs every period
// µs, removed when the test ends, and returns its cgroup.procs file.
func cpuQuotaCgroup(t *testing.T, quota, period int) string {
	t.Helper()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("brick-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	var dir string
	var files [][2]string
	for _, line := range strings.Split(string(mi), "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep < 5 || sep+3 >= len(f) {
			continue
		}
		if f[sep+1] == "cgroup" && slices.Contains(strings.Split(f[sep+3], ","), "cpu") {
			dir = filepath.Join(f[4], name)
			files = [][2]string{{"cpu.cfs_period_us", strconv.Itoa(period)}, {"cpu.cfs_quota_us", strconv.Itoa(quota)}}
			break
		}
		if f[sep+1] == "cgroup2" && dir == "" {
			own, _ := os.ReadFile("/proc/self/cgroup")
			if strings.TrimSpace(string(own)) != "0::/" {
				continue // a v2 cgroup with processes cannot have controlled children
			}
			if err := os.WriteFile(filepath.Join(f[4], "cgroup.subtree_control"), []byte("+cpu"), 0); err != nil {
				t.Fatalf("enabling the cpu controller for the test's cgroup: %v", err)
			}
			dir = filepath.Join(f[4], name)
			files = [][2]string{{"cpu.max", fmt.Sprintf("%d %d", quota, period)}}
		}
	}
	if dir == "" {
		t.Fatalf("no cgroup cpu controller this test can use (version 1's, or version 2's from the root cgroup):\n%s", mi)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("making a cgroup (the test needs root): %v", err)
	}
	t.Cleanup(func() {
		// The workers leave shortly after brick; the cgroup goes once empty.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			err := os.Remove(dir)
			if err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Errorf("removing the test's cgroup: %v", err)
				}
				return
			}
		}
	})
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f[0]), []byte(f[1]), 0); err != nil {
			t.Fatalf("setting %s: %v", f[0], err)
		}
	}
	return filepath.Join(dir, "cgroup.procs")
}
