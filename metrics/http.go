package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/brick-server/brick/web"
	"github.com/prometheus/client_golang/prometheus"
)

// DurationBuckets are the upper bounds, in seconds, of
// brick_http_request_duration_seconds: from half a millisecond, which a
// static file or a small handler takes, to a minute.
var DurationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// maxSeries bounds the site and route pairs; see the package documentation.
const maxSeries = 1000

// HTTP records request metrics; see the package documentation. Make one
// with NewHTTP and attach it to a server as an Observer (web.Observer).
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
	// protos counts requests by protocol, across sites and routes: a
	// series of its own rather than a label on requests_total, which
	// would multiply every site and route pair's series by three.
	protos [len(protocols)]prometheus.Counter

	mu     sync.Mutex // serialises adding to series
	series atomic.Pointer[map[seriesKey]*series]
}

type seriesKey struct{ site, route string }

// series holds one site and route pair's metrics, looked up once.
type series struct {
	codes    [6]prometheus.Counter // by code class, 1xx at 0, then other
	duration prometheus.Observer
	bytes    prometheus.Counter
}

// codeClasses are the code_class values: a class per first digit of the
// statuses RFC 9110 defines, and "other" for 600–999, which a handler may
// send (as net/http lets it).
var codeClasses = [6]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}

// protocols are the protocol values, as the access log writes them;
// "unknown" is a request whose head could not be parsed.
var protocols = [...]string{"HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "unknown"}

// protocolIndex maps a request's version to its index in protocols.
func protocolIndex(r *web.Request) int {
	switch {
	case r.Major == 2:
		return 2
	case r.Major == 1 && r.Minor == 0:
		return 0
	case r.Major == 1:
		return 1
	}
	return 3
}

// NewHTTP registers the request metrics with reg.
func NewHTTP(reg prometheus.Registerer) (*HTTP, error) {
	m := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brick_http_requests_total",
			Help: "HTTP requests answered, by site, route and status class.",
		}, []string{"site", "route", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "brick_http_request_duration_seconds",
			Help:    "Time from the request head to the complete response, by site and route.",
			Buckets: DurationBuckets,
		}, []string{"site", "route"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brick_http_response_bytes_total",
			Help: "Response body bytes, by site and route.",
		}, []string{"site", "route"}),
	}
	byProto := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "brick_http_requests_by_protocol_total",
		Help: "HTTP requests answered, by protocol (HTTP/1.0, HTTP/1.1, HTTP/2.0, unknown).",
	}, []string{"protocol"})
	for i, p := range protocols {
		m.protos[i] = byProto.WithLabelValues(p)
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.bytes, byProto} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	empty := map[seriesKey]*series{}
	m.series.Store(&empty)
	return m, nil
}

// Init creates a site and route pair's series at zero, so that they are
// scraped before the first request (rates over a missing series are
// empty, not zero).
func (m *HTTP) Init(site, route string) { m.get(site, route) }

// get returns the pair's series, creating them on first sight.
func (m *HTTP) get(site, route string) *series {
	k := seriesKey{site, route}
	if s := (*m.series.Load())[k]; s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.series.Load()
	if s := cur[k]; s != nil {
		return s
	}
	if len(cur) >= maxSeries {
		k = seriesKey{"other", "other"}
		if s := cur[k]; s != nil {
			return s
		}
	}
	s := &series{
		duration: m.duration.WithLabelValues(k.site, k.route),
		bytes:    m.bytes.WithLabelValues(k.site, k.route),
	}
	for i, c := range codeClasses {
		s.codes[i] = m.requests.WithLabelValues(k.site, k.route, c)
	}
	next := make(map[seriesKey]*series, len(cur)+1)
	for key, v := range cur {
		next[key] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

var _ web.Observer = (*HTTP)(nil)

// Complete counts a request the server finished with, under the site and
// route its router recorded on it; a request no route took is counted
// under site and route "none".
func (m *HTTP) Complete(r *web.Request, c web.Completion) {
	site, route := r.Site, r.Route
	if route == "" {
		site, route = "none", "none"
	}
	s := m.get(site, route)
	s.codes[min(max(c.Code()/100-1, 0), len(s.codes)-1)].Inc()
	m.protos[protocolIndex(r)].Inc()
	s.duration.Observe(c.Duration.Seconds())
	if c.Bytes > 0 {
		s.bytes.Add(float64(c.Bytes))
	}
}
