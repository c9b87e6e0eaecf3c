//go:build !linux

package procpool

import (
	"errors"
	"fmt"
)

// waitExited would wait for the child without reaping it. Outside Linux
// it is not implemented and returns false at once; supervise then reaps
// first and cleans up the group after.
func waitExited(int) bool { return false }

// readRSS is not implemented outside Linux, which alone has /proc/PID/statm.
func readRSS(int) (int64, error) {
	return 0, fmt.Errorf("procpool: rss: %w", errors.ErrUnsupported)
}
