//go:build unix

package server

import (
	"io"
	"syscall"
)

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

// readNowFD reads what has arrived on the non-blocking socket fd:
// errAgain when nothing has.
func readNowFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, errAgain
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
