//go:build !linux

package cgi

import "syscall"

// sysProcAttr puts a script in a process group of its own, which the
// timeout kills whole.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// waitExited cannot wait without reaping here; the kill is disarmed just
// after the reap instead.
func waitExited(int) bool { return false }
