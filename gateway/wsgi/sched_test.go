package wsgi_test

import (
	"fmt"
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
