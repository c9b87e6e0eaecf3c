//go:build unix && !linux

package procpool

import "syscall"

// sysProcAttr puts the child in a process group of its own. The
// parent-death signal is Linux-only; elsewhere a child can outlive a
// server that crashed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
