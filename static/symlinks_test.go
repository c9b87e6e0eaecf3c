package static

import (
	"strconv"
	"testing"
	"time"
)

// TestEscapeWarnerBounded: a path is warned about once; past
// escapeWarnPaths distinct paths, memory stops growing and warnings come
// at most once per escapeWarnEvery, counting those left out.
func TestEscapeWarnerBounded(t *testing.T) {
	var w escapeWarner
	t0 := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	for i := range escapeWarnPaths {
		p := "/out/" + strconv.Itoa(i)
		if ok, _ := w.warn(p, t0); !ok {
			t.Fatalf("first refusal of %s not warned", p)
		}
		if ok, _ := w.warn(p, t0); ok {
			t.Fatalf("second refusal of %s warned again", p)
		}
	}
	steps := []struct {
		path   string
		after  time.Duration
		ok     bool
		missed int
	}{
		{"/out/a", 0, true, 0},
		{"/out/b", time.Second, false, 0},
		{"/out/c", 2 * time.Second, false, 0},
		{"/out/0", 3 * time.Second, false, 0}, // warned before the limit
		{"/out/d", escapeWarnEvery + time.Second, true, 2},
		{"/out/a", escapeWarnEvery + 2*time.Second, false, 0},
	}
	for _, s := range steps {
		ok, missed := w.warn(s.path, t0.Add(s.after))
		if ok != s.ok || missed != s.missed {
			t.Errorf("warn(%s, +%v) = %v, %d; want %v, %d", s.path, s.after, ok, missed, s.ok, s.missed)
		}
	}
	if len(w.seen) != escapeWarnPaths {
		t.Errorf("%d paths remembered, want the limit %d", len(w.seen), escapeWarnPaths)
	}
}
