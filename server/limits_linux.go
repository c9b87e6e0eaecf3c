package server

import "golang.org/x/sys/unix"

// defaultMaxConns leaves a tenth of the open-file limit for everything else
// the process opens (files served, logs, sockets to workers).
func defaultMaxConns() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 10000
	}
	return max(int(rl.Cur)*9/10, 64)
}
