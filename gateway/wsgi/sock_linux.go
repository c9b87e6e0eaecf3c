//go:build linux

package wsgi

import (
	"syscall"
	"unsafe"
)

// rawRead reads without entering the scheduler: on a non-blocking
// socket it returns at once.
func rawRead(fd int, p []byte) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(n), e
		}
	}
}

// rawWrite writes without entering the scheduler: on a non-blocking
// socket it returns at once.
func rawWrite(fd int, p []byte) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(n), e
		}
	}
}

// pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1

// A direct wait ends with the socket readable (or closed), the time up,
// or neither: no slot free, or a signal (the runtime's preemption).
const (
	waitSkipped = iota
	waitReady
	waitExpired
)

// waitDirect waits up to directWait in ppoll(2) for fd to be readable,
// when a direct-wait slot is free.
func waitDirect(fd int) int {
	if directSlots.Add(1) > directWaiters() {
		directSlots.Add(-1)
		return waitSkipped
	}
	pfd := pollFd{fd: int32(fd), events: pollIn}
	ts := syscall.NsecToTimespec(directWait.Nanoseconds())
	n, _, e := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	directSlots.Add(-1)
	switch {
	case e != 0:
		return waitSkipped
	case n > 0:
		return waitReady
	}
	return waitExpired
}
