//go:build !linux

package wsgi

import "syscall"

// rawRead reads without entering the scheduler: on a non-blocking
// socket it returns at once.
func rawRead(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(fd, p)
	if errno, ok := err.(syscall.Errno); ok {
		return 0, errno
	}
	return max(n, 0), 0
}

// rawWrite writes once to a non-blocking socket.
func rawWrite(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(fd, p)
	if errno, ok := err.(syscall.Errno); ok {
		return 0, errno
	}
	return max(n, 0), 0
}

// waitDirect is ppoll(2)'s direct wait, on Linux only: elsewhere a read
// parks in the poller at once.
func waitDirect(fd int) int { return waitSkipped }

const (
	waitSkipped = iota
	waitReady
	waitExpired
)
