package proxy

import "time"

// UpstreamStats is a snapshot of one upstream, for metrics.
type UpstreamStats struct {
	// URL is the upstream as configured.
	URL string
	// Healthy is the active check's verdict (true without checks);
	// Available says whether requests go to it now (healthy and not
	// taken out by failures).
	Healthy, Available bool
	// Active counts requests in flight, Idle the kept-alive connections
	// waiting for one.
	Active int64
	Idle   int
	// Failures counts connect, send, read and timeout failures since the
	// handler started.
	Failures uint64
	// Checked is the time of the last active health check (zero without
	// checks, or before the first); CheckError says why it failed, or is
	// empty when it passed.
	Checked    time.Time
	CheckError string
}

// Stats returns a snapshot of every upstream, in configuration order.
func (h *Handler) Stats() []UpstreamStats {
	now := time.Now().UnixNano()
	out := make([]UpstreamStats, len(h.ups))
	for i, u := range h.ups {
		u.mu.Lock()
		idle := len(u.idle)
		u.mu.Unlock()
		out[i] = UpstreamStats{URL: u.url, Healthy: u.healthy.Load(), Available: u.available(now),
			Active: u.active.Load(), Idle: idle, Failures: u.failures.Load()}
		if c := u.checked.Load(); c != nil {
			out[i].Checked, out[i].CheckError = c.at, c.err
		}
	}
	return out
}
