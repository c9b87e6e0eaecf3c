//go:build linux && !race

package server

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAllocsWatchedWrite checks that a watched connection's write (raw
// system calls under the descriptor's write lock) allocates nothing, for
// one buffer and for two.
func TestAllocsWatchedWrite(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	f := os.NewFile(uintptr(fds[0]), "watched")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	w := &watchedConn{f: f, rc: rc}
	w.writeFn = w.writeRaw
	a, b := make([]byte, 100), make([]byte, 200)
	sink := make([]byte, 1024)
	cases := []struct {
		name  string
		write func() error
	}{
		{"Write", func() error { _, err := w.Write(a); return err }},
		{"Writev", func() error { return w.Writev(a, b) }},
	}
	for _, tc := range cases {
		n := testing.AllocsPerRun(200, func() {
			if err := tc.write(); err != nil {
				t.Fatal(err)
			}
			unix.Read(fds[1], sink)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per write, want 0", tc.name, n)
		}
	}
}
