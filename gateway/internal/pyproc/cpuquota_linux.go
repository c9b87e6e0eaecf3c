package pyproc

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// quotaCPUs is the CPU time a cgroup quota grants this process, in CPUs
// rounded up, or 0 when no quota bounds it or none can be read. root is
// "/" but for tests, which give a directory laid out like one.
//
// Both cgroup versions count, as a hybrid machine mounts both: version 2
// writes "quota period" (or "max") to cpu.max; version 1's cpu
// controller writes cpu.cfs_quota_us (-1 for none) and cpu.cfs_period_us.
// A quota on any cgroup from the process's own up to its mount's root
// bounds the process, so the smallest counts.
func quotaCPUs(root string) int {
	cg, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	mi, err := os.ReadFile(filepath.Join(root, "proc/self/mountinfo"))
	if err != nil {
		return 0
	}
	mounts := parseMountinfo(string(mi))
	limit := math.Inf(1)
	for _, line := range strings.Split(string(cg), "\n") {
		// hierarchy-ID:controllers:path
		id, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrls, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		v2 := id == "0" && ctrls == ""
		if !v2 && !slices.Contains(strings.Split(ctrls, ","), "cpu") {
			continue
		}
		for _, m := range mounts {
			if v2 != (m.fstype == "cgroup2") || !v2 && !slices.Contains(m.opts, "cpu") {
				continue
			}
			dir, ok := cgroupDir(root, m, path)
			if !ok {
				continue
			}
			limit = min(limit, dirQuota(filepath.Join(root, m.point), dir, v2))
		}
	}
	// A bound of more CPUs than an int32 counts bounds nothing; the
	// kernel caps a quota far below (2^44 µs a millisecond), but the
	// conversion of a larger float is undefined, and on a 32-bit machine
	// a real quota could exceed an int.
	if limit >= math.MaxInt32 {
		return 0
	}
	return max(1, int(math.Ceil(limit)))
}

// cgroupMount is a cgroup file system from /proc/self/mountinfo.
type cgroupMount struct {
	root   string   // the cgroup the mount shows at its point
	point  string   // where it is mounted
	fstype string   // cgroup or cgroup2
	opts   []string // super options: a version-1 mount's controllers
}

// parseMountinfo keeps the cgroup mounts of a mountinfo file, whose lines
// read "ID parent major:minor root point options [optional...] - fstype
// source super-options" (proc(5)).
func parseMountinfo(s string) []cgroupMount {
	var ms []cgroupMount
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep < 5 || sep+1 >= len(f) {
			continue
		}
		fstype := f[sep+1]
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		m := cgroupMount{root: unescapeMount(f[3]), point: unescapeMount(f[4]), fstype: fstype}
		if sep+3 < len(f) {
			m.opts = strings.Split(f[sep+3], ",")
		}
		ms = append(ms, m)
	}
	return ms
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cgroupDir is the directory, under root, of the cgroup at path (as
// /proc/self/cgroup names it) in mount m; false when the mount does not
// show it (a mount of another part of the tree).
//
// A process moved out of its cgroup namespace's root sees its path
// begin with "/.." (cgroup_namespaces(7)); a mount of the namespace's
// root does not show that cgroup, and joining the path would climb out
// of the mount to directories that are no cgroup's.
func cgroupDir(root string, m cgroupMount, path string) (string, bool) {
	rel := path
	if m.root != "/" {
		var ok bool
		if rel, ok = strings.CutPrefix(path, m.root); !ok || rel != "" && rel[0] != '/' {
			return "", false
		}
	}
	if rel == "/.." || strings.HasPrefix(rel, "/../") {
		return "", false
	}
	return filepath.Join(root, m.point, rel), true
}

// dirQuota is the smallest quota, in CPUs, of the cgroup at dir and its
// parents up to the mount's point top; +Inf for none.
func dirQuota(top, dir string, v2 bool) float64 {
	limit := math.Inf(1)
	for {
		var q float64
		if v2 {
			q = readCPUMax(filepath.Join(dir, "cpu.max"))
		} else {
			q = readCFSQuota(dir)
		}
		limit = min(limit, q)
		if dir == top || len(dir) <= len(top) {
			return limit
		}
		dir = filepath.Dir(dir)
	}
}

// readCPUMax reads a version-2 cpu.max, "max 100000" or "50000 100000".
func readCPUMax(file string) float64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return math.Inf(1)
	}
	quota, period, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	if !ok {
		return math.Inf(1)
	}
	return ratio(quota, period)
}

// readCFSQuota reads version 1's cpu.cfs_quota_us and cpu.cfs_period_us.
func readCFSQuota(dir string) float64 {
	q, err1 := os.ReadFile(filepath.Join(dir, "cpu.cfs_quota_us"))
	p, err2 := os.ReadFile(filepath.Join(dir, "cpu.cfs_period_us"))
	if err1 != nil || err2 != nil {
		return math.Inf(1)
	}
	return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
}

// ratio is quota/period in CPUs; +Inf for "max", -1 or anything unread.
func ratio(quota, period string) float64 {
	q, err1 := strconv.ParseInt(quota, 10, 64)
	p, err2 := strconv.ParseInt(period, 10, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return math.Inf(1)
	}
	return float64(q) / float64(p)
}
