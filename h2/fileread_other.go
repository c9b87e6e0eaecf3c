//go:build !linux

package h2

import "os"

// readFrames fills iovs from f at offset, one ReadAt each, and returns
// how many bytes it read.
func readFrames(f *os.File, iovs [][]byte, offset int64) (int, error) {
	total := 0
	for _, p := range iovs {
		n, err := f.ReadAt(p, offset+int64(total))
		total += n
		if n < len(p) {
			return total, err
		}
	}
	return total, nil
}
