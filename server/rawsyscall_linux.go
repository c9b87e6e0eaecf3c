//go:build linux

package server

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The request path's system calls never block: the sockets and the epoll
// descriptor are non-blocking and epoll_wait is called with a zero timeout.
// Making them as raw system calls skips the scheduler's entersyscall and
// exitsyscall (about 100 ns each way), which Go needs only for calls that
// may block. accept4, getsockname and the head of a sendfile response are
// raw for the same reason; sendfile itself may wait for the disk, so it is
// not.

func rawRead(fd int, p []byte) (int, error)  { return rawIO(unix.SYS_READ, fd, p) }
func rawWrite(fd int, p []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, p) }

func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// rawWritev writes a and then b with one writev(2); a must not be empty.
func rawWritev(fd int, a, b []byte) (int, unix.Errno) {
	var iov [2]unix.Iovec
	iov[0].Base = &a[0]
	iov[0].SetLen(len(a))
	cnt := 1
	if len(b) > 0 {
		iov[1].Base = &b[0]
		iov[1].SetLen(len(b))
		cnt = 2
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}

func rawEpollWait(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
