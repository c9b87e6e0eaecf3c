package static

import (
	"strings"
	"sync"
	"time"
)

// escapeWarnPaths bounds how many refused paths are remembered, so that
// requests for endless paths under a link out of the root (/out/a,
// /out/b, ...) can neither grow memory nor flood the log: past it, one
// line a minute at most.
const escapeWarnPaths = 1024

// escapeWarnEvery is the pace of warnings once escapeWarnPaths paths
// have been warned about.
const escapeWarnEvery = time.Minute

// escapeHint tells the operator how to serve what was refused.
const escapeHint = "to serve files behind links that lead out of the root, start brick with -follow-symlinks, " +
	"or set follow_symlinks = true in the static section of the configuration file"

// escapeWarner decides when a request refused because a symlink leads out
// of the root is logged: the refusal is a bare 403 to the client, so the
// log is where the operator learns why, once per path.
type escapeWarner struct {
	mu     sync.Mutex
	seen   map[string]struct{}
	last   time.Time // the last warning past the limit
	missed int       // refusals not logged since then
}

// warn reports whether the refusal of path p should be logged now, and
// how many refusals went unlogged before it (past the limit).
func (w *escapeWarner) warn(p string, now time.Time) (ok bool, missed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, dup := w.seen[p]; dup {
		return false, 0
	}
	if len(w.seen) < escapeWarnPaths {
		if w.seen == nil {
			w.seen = make(map[string]struct{})
		}
		w.seen[p] = struct{}{}
		return true, 0
	}
	if now.Sub(w.last) < escapeWarnEvery {
		w.missed++
		return false, 0
	}
	w.last, missed, w.missed = now, w.missed, 0
	return true, missed
}

// warnEscape logs, once per path, that p (a clean path inside the root)
// was refused because a symlink on it leads out of the root. The log
// names the URL path, prefix included.
func (s *FileServer) warnEscape(p string) {
	p = strings.TrimSuffix(s.cfg.Prefix, "/") + p
	ok, missed := s.escapes.warn(p, time.Now())
	if !ok {
		return
	}
	args := []any{"path", p, "hint", escapeHint}
	if missed > 0 {
		args = append(args, "not_logged_since_last", missed)
	}
	s.cfg.Logger.Warn("static: refused (403): a symlink on the path leads out of the root", args...)
}
