package h2

import (
	"io"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// readFrames fills iovs from f at offset with preadv(2): a batch's frames
// in one call where ReadAt would take one per frame (a quarter of the
// calls over TLS, as many as HTTP/1.1 makes for the same bytes). It
// returns how many bytes it read; fewer than asked means the file ended
// or failed. f is a regular file, whose descriptor Fd leaves as it is;
// the caller keeps it open for the call.
func readFrames(f *os.File, iovs [][]byte, offset int64) (int, error) {
	fd := int(f.Fd())
	total := 0
	for len(iovs) > 0 {
		n, err := unix.Preadv(fd, iovs, offset+int64(total))
		if n <= 0 {
			runtime.KeepAlive(f)
			if err == nil {
				err = io.EOF
			}
			return total, err
		}
		total += n
		// A short read (a signal, the file's end) goes on from where it
		// stopped.
		for len(iovs) > 0 && n >= len(iovs[0]) {
			n -= len(iovs[0])
			iovs = iovs[1:]
		}
		if len(iovs) > 0 {
			iovs[0] = iovs[0][n:]
		}
	}
	runtime.KeepAlive(f)
	return total, nil
}
