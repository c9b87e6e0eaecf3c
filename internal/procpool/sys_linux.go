package procpool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts the child in a process group of its own and makes the
// kernel SIGKILL it if the server dies first. Pdeathsig is tied to the
// thread that forked, not to the process; startDetached explains why that
// thread lives as long as the server. It covers the child only: its own
// children are reached through the process group, by Kill and by
// supervise.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitExited blocks until the child has exited, without reaping it
// (waitid with WNOWAIT). The zombie keeps the pid, so the caller can still
// signal the child's process group safely. It reports whether the child is
// now a zombie; on false the caller must not signal the group.
func waitExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			return true
		}
		if !errors.Is(err, syscall.EINTR) {
			return false
		}
	}
}

// readRSS reads the resident set size from /proc/PID/statm, whose second
// field counts resident pages.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0, fmt.Errorf("procpool: rss: %w", err)
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("procpool: rss: malformed /proc/%d/statm: %q", pid, b)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procpool: rss: malformed /proc/%d/statm: %w", pid, err)
	}
	return pages * int64(os.Getpagesize()), nil
}
