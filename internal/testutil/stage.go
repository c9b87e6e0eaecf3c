package testutil

import (
	"os"
	"regexp"
	"testing"
)

// Stager is a Python gateway's pool as TestStageAbort drives it: Stage
// (wsgi.Pool.Stage, asgi.Pool.Stage), the pid of the worker that answers
// a request, and the pool's log so far.
type Stager struct {
	Kind  string // "wsgi" or "asgi", as the log's "worker ready" lines say
	Stage func() (commit func() error, abort func(), err error)
	Pid   func() string
	Log   func() string
}

// StageAbort checks a one-worker pool: Stage starts a new set of workers
// beside the serving one, which alone serves until commit; abort stops
// the new set, which is gone when it returns, and the old serves on; a Stage after an abort may commit
// (the reload lock was given back), and then the new worker serves.
func StageAbort(t *testing.T, s Stager) {
	t.Helper()
	before := s.Pid()
	ready := regexp.MustCompile(s.Kind + ` worker ready" pid=(\d+)`)
	started := func() []string {
		var pids []string
		for _, m := range ready.FindAllStringSubmatch(s.Log(), -1) {
			pids = append(pids, m[1])
		}
		return pids
	}

	_, abort, err := s.Stage()
	if err != nil {
		t.Fatal(err)
	}
	pids := started()
	if len(pids) != 2 || pids[0] != before {
		t.Fatalf("workers started %v; want %s, then one staged", pids, before)
	}
	staged := pids[1]
	if got := s.Pid(); got != before {
		t.Fatalf("worker %s answered while staged; want %s", got, before)
	}
	abort()
	// Gone, and reaped, when abort returns: a Close that follows waits
	// for no process it does not know.
	if _, err := os.Stat("/proc/" + staged); !os.IsNotExist(err) {
		t.Fatalf("the aborted worker %s still runs (or is not reaped) after abort returned", staged)
	}
	if got := s.Pid(); got != before {
		t.Fatalf("worker %s answered after the abort; want %s", got, before)
	}

	commit, _, err := s.Stage()
	if err != nil {
		t.Fatal(err)
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	pids = started()
	if got := s.Pid(); got != pids[len(pids)-1] {
		t.Fatalf("worker %s answered after the commit; want the new %s", got, pids[len(pids)-1])
	}
}
