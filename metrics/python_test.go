package metrics_test

import (
	"sync/atomic"
	"testing"

	"github.com/brick-server/brick/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

func TestWSGICollector(t *testing.T) {
	var calls atomic.Int32
	stats := func() []metrics.WSGIApp {
		calls.Add(1)
		return []metrics.WSGIApp{
			{
				Name: "app:wsgi", Busy: 3, Idle: 1,
				Restarts:    map[string]uint64{"crash": 2, "timeout": 1},
				Timeouts:    1,
				Workers:     []metrics.WSGIWorker{{PID: 101, MemoryBytes: 50 << 20}, {PID: 102, MemoryBytes: 60 << 20}, {PID: 102, MemoryBytes: 1}},
				QueueLength: 7,
				QueueWait:   metrics.Histogram{Count: 10, Sum: 1.5, Buckets: map[float64]uint64{0.01: 4, 0.1: 8, 1: 10}},
			},
			{Name: "other:app"},                    // an idle pool, nothing yet
			{Name: "app:wsgi", Busy: 99, Idle: 99}, // a repeated name is skipped
		}
	}
	reg := metrics.NewRegistry()
	if err := reg.Register(metrics.NewWSGICollector(stats)); err != nil {
		t.Fatal(err)
	}
	_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	fams := scrape(t, admin+"/metrics")
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"brick_wsgi_workers", l("app", "app:wsgi", "state", "busy"), 3},
		{"brick_wsgi_workers", l("app", "app:wsgi", "state", "idle"), 1},
		{"brick_wsgi_workers", l("app", "other:app", "state", "idle"), 0},
		{"brick_wsgi_worker_restarts_total", l("app", "app:wsgi", "reason", "crash"), 2},
		{"brick_wsgi_worker_restarts_total", l("app", "app:wsgi", "reason", "timeout"), 1},
		{"brick_wsgi_timeouts_total", l("app", "app:wsgi"), 1},
		{"brick_wsgi_timeouts_total", l("app", "other:app"), 0},
		{"brick_wsgi_worker_memory_bytes", l("app", "app:wsgi", "pid", "101"), 50 << 20},
		{"brick_wsgi_worker_memory_bytes", l("app", "app:wsgi", "pid", "102"), 60 << 20},
		{"brick_wsgi_queue_length", l("app", "app:wsgi"), 7},
	}
	for _, tc := range tests {
		if v := value(fams, tc.name, tc.labels); v != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, v, tc.want)
		}
	}
	if n := len(fams["brick_wsgi_workers"].Metric); n != 4 {
		t.Errorf("%d worker series, want 4 (the repeated app skipped)", n)
	}
	if n := len(fams["brick_wsgi_worker_memory_bytes"].Metric); n != 2 {
		t.Errorf("%d memory series, want 2", n)
	}
	h := sample(fams, "brick_wsgi_queue_wait_seconds", l("app", "app:wsgi")).GetHistogram()
	if h.GetSampleCount() != 10 || h.GetSampleSum() != 1.5 || len(h.Bucket) != 4 || h.Bucket[1].GetCumulativeCount() != 8 {
		t.Errorf("queue wait %v", h)
	}
	if fams["brick_wsgi_queue_wait_seconds"].GetType().String() != "HISTOGRAM" ||
		fams["brick_wsgi_worker_restarts_total"].GetType().String() != "COUNTER" {
		t.Error("wrong metric types")
	}
	// Each scrape takes a fresh snapshot.
	before := calls.Load()
	scrape(t, admin+"/metrics")
	if calls.Load() != before+1 {
		t.Errorf("stats called %d times for one scrape", calls.Load()-before)
	}
	// The collector checks out against the registry's own consistency
	// rules (descriptions sent match what is collected).
	if err := prometheus.NewPedanticRegistry().Register(metrics.NewWSGICollector(stats)); err != nil {
		t.Fatal(err)
	}
	pr := prometheus.NewPedanticRegistry()
	pr.MustRegister(metrics.NewWSGICollector(stats))
	if _, err := pr.Gather(); err != nil {
		t.Errorf("pedantic gather: %v", err)
	}
}
