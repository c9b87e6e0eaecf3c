package metrics

import "github.com/prometheus/client_golang/prometheus"

// RegisterConns registers gauges read from functions when scraped:
// brick_http_open_connections from open (server.Server.OpenConns), and
// brick_http_idle_connections from idle unless it is nil. The functions
// are called from the scraping goroutine and must be safe for that.
func RegisterConns(reg prometheus.Registerer, open, idle func() int) error {
	if open != nil {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "brick_http_open_connections",
			Help: "Client connections open, idle ones included.",
		}, func() float64 { return float64(open()) })
		if err := reg.Register(g); err != nil {
			return err
		}
	}
	if idle != nil {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "brick_http_idle_connections",
			Help: "Kept-alive client connections waiting for their next request.",
		}, func() float64 { return float64(idle()) })
		if err := reg.Register(g); err != nil {
			return err
		}
	}
	return nil
}

// RegisterAccessLog registers brick_access_log_errors_total, a counter
// read from lost when scraped: the access log lines lost to write errors
// (a full disk), as accesslog.WithLostCounter counts them.
func RegisterAccessLog(reg prometheus.Registerer, lost func() uint64) error {
	return reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "brick_access_log_errors_total",
		Help: "Access log lines lost because writing them failed (a full disk, a closed stream).",
	}, func() float64 { return float64(lost()) }))
}
