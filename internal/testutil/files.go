package testutil

import (
	"syscall"
	"testing"
)

// NeedOpenFiles makes sure the process may open n descriptors, raising
// its soft limit up to the hard one when it is lower (Go raises it at
// start on Linux already; a parent may have lowered both). A hard limit
// below n fails the test, saying what to run: a test of many connections
// would otherwise fail with "too many open files" somewhere else.
func NeedOpenFiles(t testing.TB, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("reading the open-files limit: %v", err)
	}
	if uint64(lim.Cur) >= n {
		return
	}
	if uint64(lim.Max) < n {
		t.Fatalf("this test opens about %d descriptors; the limit is %d (hard %d): raise it first, e.g. `ulimit -n %d`", n, lim.Cur, lim.Max, n)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("raising the open-files limit to %d: %v; raise it before the test, e.g. `ulimit -n %d`", lim.Max, err, n)
	}
}
