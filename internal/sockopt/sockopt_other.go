//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sockopt

import (
	"errors"
	"syscall"
)

// ReuseAddr is a no-op on this system.
func ReuseAddr(syscall.RawConn) error { return nil }

// ReusePort is not available on this system.
func ReusePort(syscall.RawConn) error { return errors.New("sockopt: SO_REUSEPORT not supported") }

// Backlog is a no-op on this system: Go's default backlog applies.
func Backlog(syscall.RawConn, int) error { return nil }
