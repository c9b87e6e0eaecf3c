package metrics

import (
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// WSGIApp is a snapshot of one WSGI application's worker pool.
type WSGIApp struct {
	// Name is the app label: the application as configured ("app:wsgi").
	Name string
	// Busy and Idle count the workers serving a request and those waiting
	// for one.
	Busy, Idle int
	// Restarts counts worker restarts since the start, by reason (for
	// example "crash", "timeout", "max_requests", "memory", "reload").
	Restarts map[string]uint64
	// Timeouts counts requests that ran out of time since the start.
	Timeouts uint64
	// Workers lists the live workers.
	Workers []WSGIWorker
	// QueueLength is the number of requests waiting for a worker.
	QueueLength int
	// QueueWait is how long requests waited for a worker, in seconds.
	QueueWait Histogram
}

// WSGIWorker is one worker process.
type WSGIWorker struct {
	PID         int
	MemoryBytes uint64 // resident set size
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

// WSGIStats returns a snapshot of every WSGI application. It is called on
// each scrape, from the scraping goroutine.
type WSGIStats func() []WSGIApp

var (
	wsgiWorkersDesc = prometheus.NewDesc("brick_wsgi_workers",
		"WSGI worker processes, busy serving a request or idle.", []string{"app", "state"}, nil)
	wsgiRestartsDesc = prometheus.NewDesc("brick_wsgi_worker_restarts_total",
		"WSGI worker restarts, by reason.", []string{"app", "reason"}, nil)
	wsgiTimeoutsDesc = prometheus.NewDesc("brick_wsgi_timeouts_total",
		"WSGI requests that ran out of time.", []string{"app"}, nil)
	wsgiMemoryDesc = prometheus.NewDesc("brick_wsgi_worker_memory_bytes",
		"Resident memory of a WSGI worker process.", []string{"app", "pid"}, nil)
	wsgiQueueDesc = prometheus.NewDesc("brick_wsgi_queue_length",
		"Requests waiting for a WSGI worker.", []string{"app"}, nil)
	wsgiWaitDesc = prometheus.NewDesc("brick_wsgi_queue_wait_seconds",
		"Time requests waited for a WSGI worker.", []string{"app"}, nil)
)

// NewWSGICollector returns a collector that reports stats' snapshot on
// every scrape; register it with prometheus.Registerer.Register. An app
// whose name came earlier in the same snapshot is skipped.
func NewWSGICollector(stats WSGIStats) prometheus.Collector {
	return &wsgiCollector{stats: stats}
}

type wsgiCollector struct{ stats WSGIStats }

// Describe sends the descriptions of the WSGI metrics.
func (c *wsgiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{wsgiWorkersDesc, wsgiRestartsDesc, wsgiTimeoutsDesc, wsgiMemoryDesc, wsgiQueueDesc, wsgiWaitDesc} {
		ch <- d
	}
}

// Collect sends the metrics of a fresh snapshot.
func (c *wsgiCollector) Collect(ch chan<- prometheus.Metric) {
	seen := map[string]bool{}
	for _, a := range c.stats() {
		if seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		ch <- prometheus.MustNewConstMetric(wsgiWorkersDesc, prometheus.GaugeValue, float64(a.Busy), a.Name, "busy")
		ch <- prometheus.MustNewConstMetric(wsgiWorkersDesc, prometheus.GaugeValue, float64(a.Idle), a.Name, "idle")
		reasons := make([]string, 0, len(a.Restarts))
		for r := range a.Restarts {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			ch <- prometheus.MustNewConstMetric(wsgiRestartsDesc, prometheus.CounterValue, float64(a.Restarts[r]), a.Name, r)
		}
		ch <- prometheus.MustNewConstMetric(wsgiTimeoutsDesc, prometheus.CounterValue, float64(a.Timeouts), a.Name)
		pids := map[int]bool{}
		for _, w := range a.Workers {
			if pids[w.PID] {
				continue
			}
			pids[w.PID] = true
			ch <- prometheus.MustNewConstMetric(wsgiMemoryDesc, prometheus.GaugeValue, float64(w.MemoryBytes), a.Name, strconv.Itoa(w.PID))
		}
		ch <- prometheus.MustNewConstMetric(wsgiQueueDesc, prometheus.GaugeValue, float64(a.QueueLength), a.Name)
		h := a.QueueWait
		buckets := h.Buckets
		if buckets == nil {
			buckets = map[float64]uint64{}
		}
		ch <- prometheus.MustNewConstHistogram(wsgiWaitDesc, h.Count, h.Sum, buckets, a.Name)
	}
}
