package metrics

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/prometheus/client_golang/prometheus"
)

// Labels returns the site and route names a request is counted under.
type Labels func(r *web.Request) (site, route string)

// DurationBuckets are the upper bounds, in seconds, of
// brick_http_request_duration_seconds: from half a millisecond, which a
// static file or a small handler takes, to a minute.
var DurationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// maxSeries bounds the site and route pairs; see the package documentation.
const maxSeries = 1000

// HTTP records request metrics; see the package documentation. Make one
// with NewHTTP and wrap handlers with Wrap.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
	labels   Labels

	mu     sync.Mutex // serialises adding to series
	series atomic.Pointer[map[seriesKey]*series]
}

type seriesKey struct{ site, route string }

// series holds one site and route pair's metrics, looked up once.
type series struct {
	codes    [5]prometheus.Counter // by code class, 1xx at 0
	duration prometheus.Observer
	bytes    prometheus.Counter
}

var codeClasses = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// NewHTTP registers the request metrics with reg. labels names the site
// and route of a request; nil counts every request under empty names.
func NewHTTP(reg prometheus.Registerer, labels Labels) (*HTTP, error) {
	m := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brick_http_requests_total",
			Help: "HTTP requests answered, by site, route and status class.",
		}, []string{"site", "route", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "brick_http_request_duration_seconds",
			Help:    "Time from the request head to the handler's return, by site and route.",
			Buckets: DurationBuckets,
		}, []string{"site", "route"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brick_http_response_bytes_total",
			Help: "Response body bytes, by site and route.",
		}, []string{"site", "route"}),
		labels: labels,
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.bytes} {
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

// Wrap returns a handler that serves next and records its requests.
func (m *HTTP) Wrap(next web.Handler) web.Handler {
	return &middleware{m: m, next: next}
}

type middleware struct {
	m    *HTTP
	next web.Handler
}

var _ web.Handler = (*middleware)(nil)

// ServeHTTP serves the request and records it, also when next panics.
func (h *middleware) ServeHTTP(w web.ResponseWriter, r *web.Request) (err error) {
	start := time.Now()
	var site, route string
	if h.m.labels != nil {
		site, route = h.m.labels(r)
	}
	rec, wrapped := web.Record(w)
	if wrapped {
		w = rec
	}
	returned := false
	defer func() {
		if returned {
			h.m.observe(site, route, rec, r, start, err)
			return
		}
		// A panic: count what the server will answer, then let it go on
		// with its stack (see package accesslog).
		v := recover()
		perr := errPanic
		if v == web.ErrAbortHandler {
			perr = web.ErrAbortHandler
		}
		h.m.observe(site, route, rec, r, start, perr)
		if v != nil {
			panic(v)
		}
	}()
	err = h.next.ServeHTTP(w, r)
	returned = true
	return err
}

var errPanic = web.Error(500, errors.New("handler panic"))

func (m *HTTP) observe(site, route string, rec web.Recorder, r *web.Request, start time.Time, err error) {
	status, bytes := web.Outcome(rec, r, err)
	s := m.get(site, route)
	if c := status/100 - 1; c >= 0 && c < len(s.codes) {
		s.codes[c].Inc()
	}
	s.duration.Observe(time.Since(start).Seconds())
	if bytes > 0 {
		s.bytes.Add(float64(bytes))
	}
}
