package service

import (
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/metrics"
	"github.com/brick-server/brick/web"
	dto "github.com/prometheus/client_model/go"
)

// Handler is what Run serves on the main listeners: the current
// configuration. Tests serve it on a server of their own, with Observer,
// so that they can call Reload and ReopenLogs directly instead of sending
// this process signals.
func (s *Service) Handler() web.Handler { return s.front }

// Observer is what Run attaches to the main server: metrics and the
// access log.
func (s *Service) Observer() web.Observer { return s.observer }

// Admin is what Run serves on the admin listener.
func (s *Service) Admin() web.Handler {
	return metrics.AdminHandler(s.reg, s.healthy.Load, s.proxyStats)
}

// Close stops the configuration's workers and flushes the access log, as
// Run does once it has drained.
func (s *Service) Close() { s.close(false) }

// SetServeHook makes f run between a request taking the current
// configuration and being counted in it; nil removes it. Set it before
// anything is served.
func SetServeHook(f func()) { testHookServe = f }

// PoolsForTest lists the WSGI pools of the current configuration, to
// tell a kept pool from a new one.
func (s *Service) PoolsForTest() []*wsgi.Pool {
	var out []*wsgi.Pool
	for _, np := range s.cur.Load().gen.pools {
		if p, ok := np.pool.(*wsgi.Pool); ok {
			out = append(out, p)
		}
	}
	return out
}

// Gather reads the service's metrics as a scrape of /metrics would.
func (s *Service) Gather() ([]*dto.MetricFamily, error) { return s.reg.Gather() }
