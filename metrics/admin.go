package metrics

import (
	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the Go runtime's and the process's
// standard collectors (go_*, process_*), to which the brick_* metrics are
// added.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// AdminHandler serves the admin endpoints: GET /metrics, reg's metrics in
// the Prometheus text format (or another format the scraper asks for);
// GET /healthz, 200 "ok" when healthy reports true (or is nil), else 503
// "unhealthy"; and GET /upstreams, the state of every proxy upstream as
// JSON (see UpstreamsJSON), when upstreams is not nil. Anything else is
// 404, other methods 405.
func AdminHandler(reg *prometheus.Registry, healthy func() bool, upstreams ProxyStats) web.Handler {
	prom := nethttp.Handler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:      reg, // promhttp_metric_handler_errors_total
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return &admin{metrics: prom, healthy: healthy, upstreams: upstreams}
}

type admin struct {
	metrics   web.Handler
	healthy   func() bool
	upstreams ProxyStats
}

var _ web.Handler = (*admin)(nil)

func (a *admin) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	path := string(r.Path)
	if path != "/metrics" && path != "/healthz" && (path != "/upstreams" || a.upstreams == nil) {
		return web.Error(404, nil)
	}
	if m := string(r.Method); m != "GET" && m != "HEAD" {
		w.Header().Set("Allow", "GET, HEAD")
		return web.Error(405, nil)
	}
	if path == "/metrics" {
		return a.metrics.ServeHTTP(w, r)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if path == "/upstreams" {
		h.Set("Content-Type", "application/json")
		_, err := w.Write(UpstreamsJSON(a.upstreams()))
		return err
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	body := "ok\n"
	if a.healthy != nil && !a.healthy() {
		w.WriteHeader(503)
		body = "unhealthy\n"
	}
	_, err := w.WriteString(body)
	return err
}
