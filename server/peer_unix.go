//go:build unix

package server

import "syscall"

// peekClosed reports, without waiting or taking a byte, whether the peer
// of the socket fd closed its side (a read would return end of file) or
// reset the connection. Bytes waiting to be read mean it did not.
func peekClosed(fd uintptr) bool {
	var b [1]byte
	for {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EINTR:
			continue
		case err == nil:
			return n == 0
		}
		return err == syscall.ECONNRESET || err == syscall.EPIPE
	}
}
