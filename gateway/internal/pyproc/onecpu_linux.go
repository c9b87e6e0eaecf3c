package pyproc

import (
	"runtime"

	"github.com/brick-server/brick/internal/schedfront"
)

// ShareOneCPU puts the server's own threads under SCHED_BATCH when the
// workers run under it (Settings.Scheduling "batch", the default) and
// the server may run on one CPU only (taskset, a cpuset of one CPU, a
// one-CPU machine), and does nothing otherwise: with "normal", the
// server keeps the policy it was started with. A pool calls it once it
// has started and release when it closes: the threads go back to the
// policy they had once no pool that asked for batch is left, so a reload
// to "normal" gives the server its policy back.
//
// On one CPU the front and the workers always share it, and every
// wake-up of the front (a client's request arriving while a worker runs)
// preempts the worker in the middle of its request: the front runs a few
// microseconds, the worker resumes with its caches cold, and the worker's
// answers go out one by one instead of in a batch. With the workers under
// SCHED_BATCH the other way round is already avoided; with the front
// under it too, a woken front waits for the worker's run to end (at most
// the scheduler's slice, a few milliseconds) and then handles everything
// that arrived meanwhile. Measured with Flask on one worker: +13% requests
// per CPU-second. With more CPUs a woken thread usually finds an idle one,
// and the front keeps its default policy, which serves a request that
// needs no worker (a static file) at once on a busy machine.
func ShareOneCPU(policy string) (release func(), err error) {
	if policy != SchedBatch || runtime.NumCPU() != 1 {
		return func() {}, nil
	}
	return schedfront.Hold(schedfront.Batch)
}
