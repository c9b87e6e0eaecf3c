package asgi_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// TestScheduling checks the policy the application runs under, on the
// event loop's thread and in the default executor: SCHED_BATCH (3) by
// default, the default policy (0) when the configuration says normal.
func TestScheduling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scheduling string
		want       int
	}{
		{"", 3},
		{pyproc.SchedBatch, 3},
		{pyproc.SchedNormal, 0},
	} {
		t.Run(fmt.Sprintf("%q", tc.scheduling), func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Scheduling: tc.scheduling}})
			want := fmt.Sprintf("%d,%d", tc.want, tc.want)
			if got := g.mustGet(t, "/sched", 200).body; got != want {
				t.Errorf("policies (event loop, executor thread) = %s, want %s", got, want)
			}
		})
	}
}

// TestWorkerFreezesStartup: once the application is loaded (and, for
// ASGI, started), the worker moves what that made into the permanent
// generation, so that the collector's full passes skip it.
func TestWorkerFreezesStartup(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app"}})
	body := g.mustGet(t, "/frozen", 200).body
	if n, err := strconv.Atoi(body); err != nil || n < 1000 {
		t.Errorf("objects in the permanent generation: %q, want the application's (thousands)", body)
	}
}
