package metrics_test

import (
	"sync/atomic"
	"testing"

	"github.com/brick-server/brick/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

func TestPythonCollector(t *testing.T) {
	var calls atomic.Int32
	stats := func() []metrics.PythonApp {
		calls.Add(1)
		return []metrics.PythonApp{
			{
				Gateway: "wsgi", Name: "app:wsgi", Busy: 3, Idle: 1,
				Restarts:    map[string]uint64{"crash": 2, "timeout": 1},
				Timeouts:    1,
				Workers:     []metrics.PythonWorker{{PID: 101, MemoryBytes: 50 << 20}, {PID: 102, MemoryBytes: 60 << 20}, {PID: 102, MemoryBytes: 1}},
				QueueLength: 7,
				QueueWait:   metrics.Histogram{Count: 10, Sum: 1.5, Buckets: map[float64]uint64{0.01: 4, 0.1: 8, 1: 10}},
			},
			{Gateway: "wsgi", Name: "other:app"}, // an idle pool, nothing yet
			{
				Gateway: "asgi", Name: "main:app", Busy: 1, Idle: 1,
				Restarts: map[string]uint64{"max_requests": 4},
				Workers:  []metrics.PythonWorker{{PID: 201, MemoryBytes: 30 << 20, Streams: 5}, {PID: 202}, {PID: 203, Streams: 2}},
				ASGI:     &metrics.ASGIPool{Retiring: 1, WebSockets: 6},
			},
			{Gateway: "wsgi", Name: "app:wsgi", Busy: 99, Idle: 99}, // a repeated app is skipped
		}
	}
	reg := metrics.NewRegistry()
	if err := reg.Register(metrics.NewPythonCollector(stats)); err != nil {
		t.Fatal(err)
	}
	_, admin := serve(t, metrics.AdminHandler(reg, nil, nil), nil)
	fams := scrape(t, admin+"/metrics")
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"brick_python_workers", l("gateway", "wsgi", "app", "app:wsgi", "state", "busy"), 3},
		{"brick_python_workers", l("gateway", "wsgi", "app", "app:wsgi", "state", "idle"), 1},
		{"brick_python_workers", l("gateway", "wsgi", "app", "other:app", "state", "idle"), 0},
		{"brick_python_workers", l("gateway", "asgi", "app", "main:app", "state", "busy"), 1},
		{"brick_python_workers", l("gateway", "asgi", "app", "main:app", "state", "retiring"), 1},
		{"brick_python_worker_restarts_total", l("gateway", "wsgi", "app", "app:wsgi", "reason", "crash"), 2},
		{"brick_python_worker_restarts_total", l("gateway", "wsgi", "app", "app:wsgi", "reason", "timeout"), 1},
		{"brick_python_worker_restarts_total", l("gateway", "asgi", "app", "main:app", "reason", "max_requests"), 4},
		{"brick_python_timeouts_total", l("gateway", "wsgi", "app", "app:wsgi"), 1},
		{"brick_python_timeouts_total", l("gateway", "wsgi", "app", "other:app"), 0},
		{"brick_python_worker_memory_bytes", l("gateway", "wsgi", "app", "app:wsgi", "pid", "101"), 50 << 20},
		{"brick_python_worker_memory_bytes", l("gateway", "wsgi", "app", "app:wsgi", "pid", "102"), 60 << 20},
		{"brick_python_worker_memory_bytes", l("gateway", "asgi", "app", "main:app", "pid", "201"), 30 << 20},
		{"brick_python_queue_length", l("gateway", "wsgi", "app", "app:wsgi"), 7},
		{"brick_asgi_worker_streams", l("app", "main:app", "pid", "201"), 5},
		{"brick_asgi_worker_streams", l("app", "main:app", "pid", "202"), 0},
		{"brick_asgi_worker_streams", l("app", "main:app", "pid", "203"), 2},
		{"brick_asgi_open_websockets", l("app", "main:app"), 6},
	}
	for _, tc := range tests {
		if v := value(fams, tc.name, tc.labels); v != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, v, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		want int
	}{
		{"brick_python_workers", 7}, // the repeated app skipped; retiring for ASGI only
		{"brick_python_worker_memory_bytes", 5},
		{"brick_asgi_worker_streams", 3}, // ASGI workers only
		{"brick_asgi_open_websockets", 1},
	} {
		if n := len(fams[tc.name].GetMetric()); n != tc.want {
			t.Errorf("%d %s series, want %d", n, tc.name, tc.want)
		}
	}
	h := sample(fams, "brick_python_queue_wait_seconds", l("gateway", "wsgi", "app", "app:wsgi")).GetHistogram()
	if h.GetSampleCount() != 10 || h.GetSampleSum() != 1.5 || len(h.Bucket) != 4 || h.Bucket[1].GetCumulativeCount() != 8 {
		t.Errorf("queue wait %v", h)
	}
	if fams["brick_python_queue_wait_seconds"].GetType().String() != "HISTOGRAM" ||
		fams["brick_python_worker_restarts_total"].GetType().String() != "COUNTER" {
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
	pr := prometheus.NewPedanticRegistry()
	if err := pr.Register(metrics.NewPythonCollector(stats)); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.Gather(); err != nil {
		t.Errorf("pedantic gather: %v", err)
	}
}
