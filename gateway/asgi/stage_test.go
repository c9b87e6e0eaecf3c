package asgi_test

import (
	"testing"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/testutil"
)

// TestStageAbort: a staged set of workers serves nothing until commit,
// and abort stops it (testutil.StageAbort).
func TestStageAbort(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "rawapp:app", Workers: 1}})
	testutil.StageAbort(t, testutil.Stager{
		Kind:  "asgi",
		Stage: g.pool.Stage,
		Pid:   func() string { return g.mustGet(t, "/pid", 200).body },
		Log:   g.log.String,
	})
}
