package cgi

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts a script in a process group of its own, which the
// timeout kills whole, and makes the kernel SIGKILL it if Brick dies
// first. Pdeathsig is tied to the thread that forked: see startDetached.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitExited blocks until the script has exited, without reaping it
// (waitid with WNOWAIT): while it is a zombie its pid, which names its
// process group, cannot be reused, so disarming the kill then leaves no
// moment at which it could reach a stranger's group. It reports whether
// the script is now a zombie.
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
