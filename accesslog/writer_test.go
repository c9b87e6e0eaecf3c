package accesslog_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/accesslog"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestWriterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, []byte("old line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := accesslog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("line 1\n"))
	// Buffered: not on disk at once, but within the periodic flush.
	if got := readFile(t, path); got != "old line\n" {
		t.Errorf("before the flush: %q", got)
	}
	waitFor(t, "the periodic flush", func() bool { return readFile(t, path) == "old line\nline 1\n" })
	// A full buffer is written at once.
	big := strings.Repeat("x", 100) + "\n"
	for range 400 {
		w.Write([]byte(big))
	}
	if n := len(readFile(t, path)); n < 32<<10 {
		t.Errorf("after 40 KB: %d bytes on disk", n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "old line\nline 1\n"+strings.Repeat(big, 400) {
		t.Errorf("after Close: %d bytes", len(got))
	}
	if _, err := w.Write([]byte("late\n")); !errors.Is(err, accesslog.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	// A new file gets mode 0644 (less the umask).
	p2 := filepath.Join(t.TempDir(), "new.log")
	w2, err := accesslog.Open(p2)
	if err != nil {
		t.Fatal(err)
	}
	w2.Close()
	if fi, err := os.Stat(p2); err != nil || fi.Mode().Perm()&^0o644 != 0 || fi.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
}

// TestReopen is log rotation: rename the file, Reopen, and new lines go
// to a new file at the original path while the renamed one keeps the old.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w, err := accesslog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("before rotation\n"))
	w.Flush()
	rotated := filepath.Join(dir, "access.log.1")
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("buffered during the rename\n")) // still the old file's
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("after rotation\n"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, rotated); got != "before rotation\nbuffered during the rename\n" {
		t.Errorf("rotated file: %q", got)
	}
	if got := readFile(t, path); got != "after rotation\n" {
		t.Errorf("new file: %q", got)
	}
	// Reopen on a stream does nothing.
	var b bytes.Buffer
	s := accesslog.NewWriter(&b)
	s.Write([]byte("x\n"))
	if err := s.Reopen(); err != nil || b.String() != "x\n" {
		t.Errorf("stream Reopen: %v %q", err, b.String())
	}
	s.Close()
}

func TestOpenStreams(t *testing.T) {
	for _, dest := range []string{"stderr", "stdout"} {
		w, err := accesslog.Open(dest)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("%s: Close: %v", dest, err)
		}
	}
	if _, err := accesslog.Open(""); err == nil {
		t.Error("Open(\"\") accepted")
	}
	if _, err := accesslog.Open(filepath.Join(t.TempDir(), "no", "such", "dir")); err == nil {
		t.Error("Open in a missing directory accepted")
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines written at once by many goroutines come out whole.
func TestWriterConcurrent(t *testing.T) {
	var out lockedBuffer
	w := accesslog.NewWriter(&out)
	const goroutines, lines = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				w.Write(fmt.Appendf(nil, "g%d line %d %s\n", g, i, strings.Repeat("z", i%50)))
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			w.Flush()
			time.Sleep(time.Millisecond)
		}
	})
	wg.Wait()
	w.Close()
	next := make([]int, goroutines)
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var g, i int
		var z string
		if _, err := fmt.Sscanf(line, "g%d line %d %s", &g, &i, &z); err != nil && i%50 != 0 {
			t.Fatalf("torn line %q: %v", line, err)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("goroutine %d: %d lines", g, n)
		}
	}
}

// failing is a stream whose writes fail.
type failing struct{}

func (failing) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterErrors(t *testing.T) {
	w := accesslog.NewWriter(failing{})
	w.Write([]byte("x\n"))
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Errorf("Flush: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Errorf("second Flush, nothing written: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, accesslog.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// TestLostLines: lines a Writer cannot write (a full disk) are counted and
// logged at most once a second with how many were lost since the last
// report, not dropped silently; a counter shared by two Writers carries
// on across them, as across a reload.
func TestLostLines(t *testing.T) {
	dests := []struct {
		name string
		open func(opts ...accesslog.Option) (*accesslog.Writer, error)
	}{
		{"failing stream", func(opts ...accesslog.Option) (*accesslog.Writer, error) {
			return accesslog.NewWriter(failing{}, opts...), nil
		}},
	}
	if runtime.GOOS == "linux" {
		// Every write to /dev/full fails with ENOSPC, as on a full disk.
		dests = append(dests, struct {
			name string
			open func(opts ...accesslog.Option) (*accesslog.Writer, error)
		}{"/dev/full", func(opts ...accesslog.Option) (*accesslog.Writer, error) {
			return accesslog.Open("/dev/full", opts...)
		}})
	}
	for _, d := range dests {
		t.Run(d.name, func(t *testing.T) {
			var logs lockedBuffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			var lost atomic.Uint64
			w, err := d.open(accesslog.WithLogger(log), accesslog.WithLostCounter(&lost))
			if err != nil {
				t.Fatal(err)
			}
			// Several failed writes within a second: one report for all.
			for i := range 5 {
				w.Write([]byte(fmt.Sprintf("line %d\nline %d bis\n", i, i)))
				if err := w.Flush(); err == nil {
					t.Fatal("Flush: no error")
				}
			}
			if w.Lost() != 10 || lost.Load() != 10 {
				t.Errorf("Lost() = %d, counter %d, want 10", w.Lost(), lost.Load())
			}
			waitFor(t, "the report", func() bool { return strings.Contains(logs.String(), "lines=") })
			reports := strings.Count(logs.String(), "access log lines lost")
			total := 0
			for _, f := range strings.Fields(logs.String()) {
				if n, ok := strings.CutPrefix(f, "lines="); ok {
					var k int
					fmt.Sscan(n, &k)
					total += k
				}
			}
			if total != 10 || reports > 2 {
				t.Errorf("%d reports of %d lines, want 10 lines in one or two:\n%s", reports, total, logs.String())
			}
			if !strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("not an error: %s", logs.String())
			}
			w.Close()
			// A Writer that replaces it counts on from there.
			w2, err := d.open(accesslog.WithLogger(log), accesslog.WithLostCounter(&lost))
			if err != nil {
				t.Fatal(err)
			}
			w2.Write([]byte("one more\n"))
			w2.Close() // reports what Close could not write
			if lost.Load() != 11 {
				t.Errorf("shared counter %d, want 11", lost.Load())
			}
			if !strings.Contains(logs.String(), "lines=1 ") {
				t.Errorf("Close did not report its lost line:\n%s", logs.String())
			}
		})
	}
}
