package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Cert is a name with an automatically managed certificate (tls = "auto").
type Cert struct {
	Name string
	// NotAfter is the certificate's expiry; zero while there is none
	// yet.
	NotAfter time.Time
}

// CertStats returns the managed names and the count of failed attempts
// to obtain or renew their certificates. It is called on each scrape.
type CertStats func() (certs []Cert, failures uint64)

var (
	certExpiryDesc = prometheus.NewDesc("brick_tls_certificate_expiry_timestamp_seconds",
		"When the name's automatically obtained certificate expires (Unix time); 0 while it has none. Alert when it comes near: renewal starts with a third of the lifetime left.", []string{"name"}, nil)
	certFailuresDesc = prometheus.NewDesc("brick_tls_certificate_failures_total",
		"Failed attempts to obtain or renew a certificate (the log says why).", nil, nil)
)

// NewCertCollector turns a snapshot function into the certificate
// metrics, so that this package does not import the ACME client.
func NewCertCollector(stats CertStats) prometheus.Collector {
	return &certCollector{stats: stats}
}

type certCollector struct{ stats CertStats }

// Describe sends the descriptors of the certificate metrics.
func (c *certCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- certExpiryDesc
	ch <- certFailuresDesc
}

// Collect sends the current values.
func (c *certCollector) Collect(ch chan<- prometheus.Metric) {
	list, failures := c.stats()
	for _, cert := range list {
		v := 0.0
		if !cert.NotAfter.IsZero() {
			v = float64(cert.NotAfter.Unix())
		}
		ch <- prometheus.MustNewConstMetric(certExpiryDesc, prometheus.GaugeValue, v, cert.Name)
	}
	ch <- prometheus.MustNewConstMetric(certFailuresDesc, prometheus.CounterValue, float64(failures))
}
