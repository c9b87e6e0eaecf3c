//go:build unix && !linux

package wsgi

import (
	"errors"
	"syscall"
)

// Without pidfds a forked worker (preload) cannot be watched safely: a
// worker the zygote forked is not Brick's child, and its number may be
// reused once it exits. Preload needs Linux; adopt says so.

func pidfdOpen(pid int) (int, error) { return -1, errors.ErrUnsupported }

func pidfdSignal(fd int, sig syscall.Signal) error { return errors.ErrUnsupported }
