package metrics

import (
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// PythonApp is a snapshot of one Python application's worker pool, WSGI
// or ASGI: the series that mean the same for both share their names and
// tell the gateways apart by the gateway label.
type PythonApp struct {
	// Gateway is the gateway label: "wsgi" or "asgi".
	Gateway string
	// Name is the app label: the application as configured ("app:wsgi").
	Name string
	// Busy and Idle count the workers in service serving at least one
	// request and those serving none.
	Busy, Idle int
	// Restarts counts worker restarts since the start, by reason: "crash",
	// "timeout" (a request, or for ASGI the event loop's heartbeat, ran
	// past the timeout and the worker was killed), "max_requests",
	// "max_memory", "reload".
	Restarts map[string]uint64
	// Timeouts counts requests that ran out of time since the start.
	Timeouts uint64
	// Workers lists the worker processes (for ASGI, retiring ones too).
	Workers []PythonWorker
	// QueueLength is the number of requests waiting for a worker.
	QueueLength int
	// QueueWait is how long requests waited for a worker, in seconds.
	QueueWait Histogram
	// ASGI holds what only an ASGI pool reports; nil for WSGI.
	ASGI *ASGIPool
}

// ASGIPool is what an ASGI pool reports beyond the shared series.
type ASGIPool struct {
	// Retiring counts workers out of service (reload, recycle) still
	// finishing their scopes; their WebSockets may stay open up to
	// ws_grace.
	Retiring int
	// WebSockets counts the open WebSockets on every worker.
	WebSockets int
}

// PythonWorker is one worker process.
type PythonWorker struct {
	PID         int
	MemoryBytes uint64 // resident set size
	// Streams counts an ASGI worker's scopes in flight (HTTP requests and
	// WebSockets); unused for WSGI.
	Streams int
}

// Histogram is a histogram kept by the code it describes: Buckets maps
// each upper bound to the number of observations at or below it
// (cumulative, as Prometheus counts them); Count and Sum cover all of
// them. The code that keeps it chooses the bounds.
type Histogram struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64
}

// PythonStats returns a snapshot of every Python application. It is
// called on each scrape, from the scraping goroutine.
type PythonStats func() []PythonApp

var (
	pyWorkersDesc = prometheus.NewDesc("brick_python_workers",
		"Python worker processes: in service busy serving a request or idle; ASGI also reports those retiring.", []string{"gateway", "app", "state"}, nil)
	pyRestartsDesc = prometheus.NewDesc("brick_python_worker_restarts_total",
		"Python worker restarts, by reason.", []string{"gateway", "app", "reason"}, nil)
	pyTimeoutsDesc = prometheus.NewDesc("brick_python_timeouts_total",
		"Python application requests that ran out of time.", []string{"gateway", "app"}, nil)
	pyMemoryDesc = prometheus.NewDesc("brick_python_worker_memory_bytes",
		"Resident memory of a Python worker process.", []string{"gateway", "app", "pid"}, nil)
	pyQueueDesc = prometheus.NewDesc("brick_python_queue_length",
		"Requests waiting for a Python worker.", []string{"gateway", "app"}, nil)
	pyWaitDesc = prometheus.NewDesc("brick_python_queue_wait_seconds",
		"Time requests waited for a Python worker.", []string{"gateway", "app"}, nil)
	asgiStreamsDesc = prometheus.NewDesc("brick_asgi_worker_streams",
		"Scopes in flight on an ASGI worker: HTTP requests and open WebSockets.", []string{"app", "pid"}, nil)
	asgiWSDesc = prometheus.NewDesc("brick_asgi_open_websockets",
		"Open WebSockets of an ASGI application, on every worker.", []string{"app"}, nil)
)

// NewPythonCollector returns a collector that reports stats' snapshot on
// every scrape; register it with prometheus.Registerer.Register. An app
// whose gateway and name came earlier in the same snapshot is skipped.
func NewPythonCollector(stats PythonStats) prometheus.Collector {
	return &pythonCollector{stats: stats}
}

type pythonCollector struct{ stats PythonStats }

// Describe sends the descriptions of the Python gateways' metrics.
func (c *pythonCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pyWorkersDesc, pyRestartsDesc, pyTimeoutsDesc, pyMemoryDesc, pyQueueDesc, pyWaitDesc, asgiStreamsDesc, asgiWSDesc} {
		ch <- d
	}
}

// Collect sends the metrics of a fresh snapshot.
func (c *pythonCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ gateway, name string }
	seen := map[key]bool{}
	for _, a := range c.stats() {
		if seen[key{a.Gateway, a.Name}] {
			continue
		}
		seen[key{a.Gateway, a.Name}] = true
		gw, name := a.Gateway, a.Name
		gauge := func(d *prometheus.Desc, v int, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), append([]string{gw, name}, labels...)...)
		}
		gauge(pyWorkersDesc, a.Busy, "busy")
		gauge(pyWorkersDesc, a.Idle, "idle")
		if a.ASGI != nil {
			gauge(pyWorkersDesc, a.ASGI.Retiring, "retiring")
		}
		reasons := make([]string, 0, len(a.Restarts))
		for r := range a.Restarts {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			ch <- prometheus.MustNewConstMetric(pyRestartsDesc, prometheus.CounterValue, float64(a.Restarts[r]), gw, name, r)
		}
		ch <- prometheus.MustNewConstMetric(pyTimeoutsDesc, prometheus.CounterValue, float64(a.Timeouts), gw, name)
		pids := map[int]bool{}
		for _, w := range a.Workers {
			if pids[w.PID] {
				continue
			}
			pids[w.PID] = true
			pid := strconv.Itoa(w.PID)
			ch <- prometheus.MustNewConstMetric(pyMemoryDesc, prometheus.GaugeValue, float64(w.MemoryBytes), gw, name, pid)
			if a.ASGI != nil {
				ch <- prometheus.MustNewConstMetric(asgiStreamsDesc, prometheus.GaugeValue, float64(w.Streams), name, pid)
			}
		}
		gauge(pyQueueDesc, a.QueueLength)
		h := a.QueueWait
		buckets := h.Buckets
		if buckets == nil {
			buckets = map[float64]uint64{}
		}
		ch <- prometheus.MustNewConstHistogram(pyWaitDesc, h.Count, h.Sum, buckets, gw, name)
		if a.ASGI != nil {
			ch <- prometheus.MustNewConstMetric(asgiWSDesc, prometheus.GaugeValue, float64(a.ASGI.WebSockets), name)
		}
	}
}
