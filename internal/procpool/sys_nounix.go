//go:build !unix

package procpool

import (
	"errors"
	"os"
	"syscall"
)

// sysProcAttr returns nil: there are no process groups to set up here.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalPid sends sig to the child; most systems other than Unix support
// only os.Kill.
func signalPid(proc *os.Process, sig syscall.Signal) error {
	if err := proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// signalGroup cannot reach a group here: it signals the child alone.
func signalGroup(proc *os.Process, sig syscall.Signal) error {
	return signalPid(proc, sig)
}

// signalName returns "": there is no signal name table here.
func signalName(syscall.Signal) string { return "" }
