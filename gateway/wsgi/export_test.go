package wsgi

import (
	"slices"
	"time"
)

// WorkerPIDs returns the process ids of the workers in service, sorted,
// so that tests can tell a worker that kept serving from its replacement.
func WorkerPIDs(p *Pool) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	pids := make([]int, 0, len(p.live))
	for w := range p.live {
		pids = append(pids, w.proc.Pid())
	}
	slices.Sort(pids)
	return pids
}

// ZygotePIDs returns the pids of the pool's zygotes (Preload), sorted.
func ZygotePIDs(p *Pool) []int {
	p.zmu.Lock()
	defer p.zmu.Unlock()
	var pids []int
	for _, z := range p.zygotes {
		pids = append(pids, z.proc.Pid())
	}
	slices.Sort(pids)
	return pids
}

// SetPipelineWindow sets the time a worker's requests may take and still
// have requests queued behind them (pipelineWindow). Tests of what
// pipelining does widen it: on a loaded machine a quick request's answer
// may take longer than the 5 ms, and nothing would be queued.
func SetPipelineWindow(p *Pool, d time.Duration) {
	p.mu.Lock()
	p.window = d
	p.mu.Unlock()
}

// SetCPUs sets the number of CPUs the pool packs requests for (pack.go),
// so that a test on any machine can see packing happen, or not.
func SetCPUs(p *Pool, n int) {
	p.mu.Lock()
	p.cpus = n
	p.mu.Unlock()
}

// SetForkedHook makes f run between each zygote fork's answer and the
// adoption of its worker, from the next zygote started on.
func SetForkedHook(p *Pool, f func()) {
	p.zmu.Lock()
	p.testForked = f
	p.zmu.Unlock()
}
