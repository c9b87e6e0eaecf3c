package asgi_test

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// TestStageAbort: Stage starts a new set of workers beside the serving
// one, which alone serves until commit; abort stops the new set and the
// old serves on; a Stage after an abort may commit (the reload lock was
// given back), and then the new worker serves.
func TestStageAbort(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Workers: 1}})
	before := g.mustGet(t, "/pid", 200).body
	ready := regexp.MustCompile(`asgi worker ready" pid=(\d+)`)
	started := func() []string {
		var pids []string
		for _, m := range ready.FindAllStringSubmatch(g.log.String(), -1) {
			pids = append(pids, m[1])
		}
		return pids
	}

	_, abort, err := g.pool.Stage()
	if err != nil {
		t.Fatal(err)
	}
	pids := started()
	if len(pids) != 2 || pids[0] != before {
		t.Fatalf("workers started %v; want %s, then one staged", pids, before)
	}
	staged := pids[1]
	if got := g.mustGet(t, "/pid", 200).body; got != before {
		t.Fatalf("worker %s answered while staged; want %s", got, before)
	}
	abort()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat("/proc/" + staged); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the aborted worker %s still runs", staged)
		}
	}
	if got := g.mustGet(t, "/pid", 200).body; got != before {
		t.Fatalf("worker %s answered after the abort; want %s", got, before)
	}

	commit, _, err := g.pool.Stage()
	if err != nil {
		t.Fatal(err)
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	pids = started()
	if got := g.mustGet(t, "/pid", 200).body; got != pids[len(pids)-1] {
		t.Fatalf("worker %s answered after the commit; want the new %s", got, pids[len(pids)-1])
	}
}
