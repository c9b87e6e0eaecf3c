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

// pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1

// waitDirect waits up to directWait in ppoll(2) for fd to be readable
// (or closed), when a direct-wait slot is free. A signal (the runtime's
// preemption) ends the wait early; the caller then parks in the poller.
func waitDirect(fd int) bool {
	if directSlots.Add(1) > directWaiters() {
		directSlots.Add(-1)
		return false
	}
	pfd := pollFd{fd: int32(fd), events: pollIn}
	ts := syscall.NsecToTimespec(directWait.Nanoseconds())
	n, _, e := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	directSlots.Add(-1)
	return e == 0 && n > 0
}
