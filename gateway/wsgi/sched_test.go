package wsgi_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// Linux's scheduling policies, as os.sched_getscheduler reports them.
const (
	schedOther = 0
	schedBatch = 3
)

// TestScheduling checks the policy the application's threads run under:
// SCHED_BATCH by default, for workers started alone or forked by the
// zygote, and for the threads they start; the default policy when the
// configuration says normal.
func TestScheduling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scheduling string
		preload    bool
		want       int
	}{
		{"", false, schedBatch},
		{pyproc.SchedBatch, true, schedBatch},
		{pyproc.SchedNormal, false, schedOther},
		{pyproc.SchedNormal, true, schedOther},
	} {
		t.Run(fmt.Sprintf("%q/preload=%v", tc.scheduling, tc.preload), func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Scheduling: tc.scheduling}, Preload: tc.preload})
			want := fmt.Sprintf("%d,%d", tc.want, tc.want)
			if got := g.mustGet(t, "/sched", 200).body; got != want {
				t.Errorf("policies (worker thread, new thread) = %s, want %s", got, want)
			}
		})
	}
}

// TestSchedulingOverridesInherited runs worker.py's set_scheduling in a
// process that is under SCHED_BATCH already, as a worker of a Brick
// started with `chrt -b` is: the setting decides, not what was inherited.
func TestSchedulingOverridesInherited(t *testing.T) {
	t.Parallel()
	needPython(t)
	for _, tc := range []struct {
		scheduling string
		want       int
	}{
		{pyproc.SchedNormal, schedOther},
		{pyproc.SchedBatch, schedBatch},
	} {
		t.Run(tc.scheduling, func(t *testing.T) {
			t.Parallel()
			script := `import os, sys
os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
sys.path.insert(0, "python")
import worker
worker.set_scheduling()
print(os.sched_getscheduler(0), os.environ.get("` + pyproc.SchedEnv + `"))`
			cmd := exec.Command(python, "-c", script)
			cmd.Env = append(os.Environ(), pyproc.SchedEnv+"="+tc.scheduling)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			// The variable is gone once taken: the application's own
			// children do not see it.
			if got, want := strings.TrimSpace(string(out)), fmt.Sprintf("%d None", tc.want); got != want {
				t.Errorf("policy and variable after set_scheduling: %q, want %q", got, want)
			}
		})
	}
}

// TestWorkerFreezesStartup: once the application is loaded (and, for
// ASGI, started), the worker moves what that made into the permanent
// generation, so that the collector's full passes skip it.
func TestWorkerFreezesStartup(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	body := g.mustGet(t, "/frozen", 200).body
	if n, err := strconv.Atoi(body); err != nil || n < 1000 {
		t.Errorf("objects in the permanent generation: %q, want the application's (thousands)", body)
	}
}
