package wsgi

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// pidfdOpen returns a descriptor for the process pid: it becomes readable
// when the process exits, and a signal sent through it cannot reach
// another process that took the number since.
func pidfdOpen(pid int) (int, error) { return unix.PidfdOpen(pid, 0) }

// pidfdSignal sends sig to the process of the descriptor fd.
func pidfdSignal(fd int, sig syscall.Signal) error { return unix.PidfdSendSignal(fd, sig, nil, 0) }
