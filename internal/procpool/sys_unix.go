//go:build unix

package procpool

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalPid sends sig to the child alone. The caller holds Process.mu
// with the child not yet reaped, so the pid is still the child's.
func signalPid(proc *os.Process, sig syscall.Signal) error {
	return ignoreGone(syscall.Kill(proc.Pid, sig))
}

// signalGroup sends sig to every process in the group that the child
// leads. The same rule as for signalPid keeps the group id the child's.
func signalGroup(proc *os.Process, sig syscall.Signal) error {
	return ignoreGone(syscall.Kill(-proc.Pid, sig))
}

// ignoreGone drops ESRCH: the process or group is already gone, which is
// what the caller wanted.
func ignoreGone(err error) error {
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// signalName returns the signal's name, such as "SIGKILL", or "".
func signalName(sig syscall.Signal) string { return unix.SignalName(sig) }
