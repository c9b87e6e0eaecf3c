package pyproc

import (
	"os"
	"path/filepath"
	"testing"
)

// TestQuotaCPUs reads CPU quotas from directories laid out like / on
// machines with cgroup version 1, version 2 and both.
func TestQuotaCPUs(t *testing.T) {
	const (
		v2Mount     = "30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
		v1Mounts    = "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		hybrid      = "30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		nsV2        = "30 22 0:27 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
		spacedMount = "30 22 0:27 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n"
	)
	tests := []struct {
		name      string
		cgroup    string
		mountinfo string
		files     map[string]string
		want      int
	}{
		{"v2, no quota", "0::/user.slice\n", v2Mount,
			map[string]string{"sys/fs/cgroup/user.slice/cpu.max": "max 100000\n"}, 0},
		{"v2, half a CPU", "0::/app\n", v2Mount,
			map[string]string{"sys/fs/cgroup/app/cpu.max": "50000 100000\n"}, 1},
		{"v2, two and a half CPUs round up", "0::/app\n", v2Mount,
			map[string]string{"sys/fs/cgroup/app/cpu.max": "250000 100000\n"}, 3},
		{"v2, the parent's quota bounds the child", "0::/pod/app\n", v2Mount,
			map[string]string{
				"sys/fs/cgroup/pod/cpu.max":     "200000 100000\n",
				"sys/fs/cgroup/pod/app/cpu.max": "max 100000\n",
			}, 2},
		{"v2, the smallest of the child and its parent", "0::/pod/app\n", v2Mount,
			map[string]string{
				"sys/fs/cgroup/pod/cpu.max":     "400000 100000\n",
				"sys/fs/cgroup/pod/app/cpu.max": "100000 100000\n",
			}, 1},
		{"v2, a cgroup namespace mounts the pod as its root", "0::/kubepods/pod1\n", nsV2,
			map[string]string{"sys/fs/cgroup/cpu.max": "300000 100000\n"}, 3},
		{"v2, an escaped mount point", "0::/app\n", spacedMount,
			map[string]string{"sys/fs/my cgroup/app/cpu.max": "100000 100000\n"}, 1},
		{"v1, cpu,cpuacct with a quota", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n", v1Mounts,
			map[string]string{
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  "150000\n",
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
			}, 2},
		{"v1, -1 is no quota", "3:cpu,cpuacct:/docker/abc\n", v1Mounts,
			map[string]string{
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  "-1\n",
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
			}, 0},
		{"v1, the memory controller's files do not count", "4:memory:/x\n", v1Mounts,
			map[string]string{
				"sys/fs/cgroup/memory/x/cpu.cfs_quota_us":  "100000\n",
				"sys/fs/cgroup/memory/x/cpu.cfs_period_us": "100000\n",
			}, 0},
		{"hybrid: v1 cpu controller, v2 without it", "1:cpu:/t\n0::/\n", hybrid,
			map[string]string{
				"sys/fs/cgroup/cpu/t/cpu.cfs_quota_us":  "50000\n",
				"sys/fs/cgroup/cpu/t/cpu.cfs_period_us": "100000\n",
			}, 1},
		// cgroup_namespaces(7): outside the namespace's root the path
		// climbs; the mount shows the namespace's root, not that cgroup.
		{"v2, a cgroup outside the namespace's root is not under the mount", "0::/../other\n", v2Mount,
			map[string]string{
				"sys/fs/cgroup/cpu.max": "max 100000\n",
				"sys/fs/other/cpu.max":  "100000 100000\n",
			}, 0},
		{"v2, a mount of the parent shows a cgroup outside the namespace", "0::/../other\n",
			"30 22 0:27 /.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			map[string]string{"sys/fs/cgroup/other/cpu.max": "200000 100000\n"}, 2},
		{"a quota of more CPUs than an int holds bounds nothing", "0::/app\n", v2Mount,
			map[string]string{"sys/fs/cgroup/app/cpu.max": "9223372036854775807 1\n"}, 0},
		{"unreadable quota files count as none", "0::/app\n", v2Mount,
			map[string]string{"sys/fs/cgroup/app/cpu.max": "garbage\n"}, 0},
		{"no cgroup mounts", "0::/app\n", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
			map[string]string{"sys/fs/cgroup/app/cpu.max": "100000 100000\n"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			files := map[string]string{"proc/self/cgroup": tc.cgroup, "proc/self/mountinfo": tc.mountinfo}
			for k, v := range tc.files {
				files[k] = v
			}
			for name, body := range files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := quotaCPUs(root); got != tc.want {
				t.Fatalf("quotaCPUs = %d, want %d", got, tc.want)
			}
		})
	}
	if got := quotaCPUs(t.TempDir()); got != 0 {
		t.Fatalf("quotaCPUs of an empty root = %d, want 0", got)
	}
}
