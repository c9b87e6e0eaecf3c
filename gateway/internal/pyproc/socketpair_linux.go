package pyproc

import "syscall"

// SocketPair returns a connected pair of Unix stream sockets, both
// close-on-exec: the end given to a worker is passed as an extra file,
// which the exec dups without the flag.
func SocketPair() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
}
