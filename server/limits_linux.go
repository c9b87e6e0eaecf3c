package server

import "golang.org/x/sys/unix"

// defaultMaxConns leaves part of the open-file limit for everything else the
// process opens (files served, logs, sockets to workers): a tenth, or 1024
// descriptors when that is less.
func defaultMaxConns() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 10000
	}
	n := int(rl.Cur)
	return max(n*9/10, n-1024, 64)
}
