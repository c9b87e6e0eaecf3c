package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ProxyUpstream is a snapshot of one upstream of a proxy route.
type ProxyUpstream struct {
	// Route is the route's path, Upstream the upstream's URL as
	// configured.
	Route, Upstream string
	// Healthy is the active health check's verdict; Available says
	// whether requests go to the upstream now.
	Healthy, Available bool
	// Active counts requests in flight; Idle the kept-alive connections.
	Active int64
	Idle   int
	// Failures counts failures since the route's handler started.
	Failures uint64
	// Checked is the time of the last active health check, zero when
	// there is none; CheckError says why it failed ("" when it passed).
	Checked    time.Time
	CheckError string
}

// ProxyStats returns a snapshot of every upstream of every proxy route.
// It is called on each scrape, from the scraping goroutine.
type ProxyStats func() []ProxyUpstream

var (
	proxyUpDesc = prometheus.NewDesc("brick_proxy_upstream_up",
		"1 while requests go to the upstream, 0 while it is taken out by failures or its health check.", []string{"route", "upstream"}, nil)
	proxyHealthyDesc = prometheus.NewDesc("brick_proxy_upstream_healthy",
		"The active health check's verdict: 1 healthy (or no check), 0 failing.", []string{"route", "upstream"}, nil)
	proxyActiveDesc = prometheus.NewDesc("brick_proxy_upstream_active_requests",
		"Requests in flight to the upstream.", []string{"route", "upstream"}, nil)
	proxyIdleDesc = prometheus.NewDesc("brick_proxy_upstream_idle_connections",
		"Kept-alive connections to the upstream waiting for a request.", []string{"route", "upstream"}, nil)
	proxyFailuresDesc = prometheus.NewDesc("brick_proxy_upstream_failures_total",
		"Connect, send, read and timeout failures of the upstream.", []string{"route", "upstream"}, nil)
)

// NewProxyCollector turns a snapshot function into the proxy's metrics,
// so this package does not import the proxy and the proxy does not
// import Prometheus.
func NewProxyCollector(stats ProxyStats) prometheus.Collector {
	return &proxyCollector{stats: stats}
}

type proxyCollector struct{ stats ProxyStats }

// Describe sends the descriptors of the proxy's metrics.
func (c *proxyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{proxyUpDesc, proxyHealthyDesc, proxyActiveDesc, proxyIdleDesc, proxyFailuresDesc} {
		ch <- d
	}
}

// Collect sends the current values.
func (c *proxyCollector) Collect(ch chan<- prometheus.Metric) {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, u := range c.stats() {
		ch <- prometheus.MustNewConstMetric(proxyUpDesc, prometheus.GaugeValue, b(u.Available), u.Route, u.Upstream)
		ch <- prometheus.MustNewConstMetric(proxyHealthyDesc, prometheus.GaugeValue, b(u.Healthy), u.Route, u.Upstream)
		ch <- prometheus.MustNewConstMetric(proxyActiveDesc, prometheus.GaugeValue, float64(u.Active), u.Route, u.Upstream)
		ch <- prometheus.MustNewConstMetric(proxyIdleDesc, prometheus.GaugeValue, float64(u.Idle), u.Route, u.Upstream)
		ch <- prometheus.MustNewConstMetric(proxyFailuresDesc, prometheus.CounterValue, float64(u.Failures), u.Route, u.Upstream)
	}
}
