package crmapi

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the CRM API's Prometheus metrics, on a registry of their
// own with the Go and process collectors. Labels are bounded: route is the
// matched pattern ("GET /v1/customers/{id}"; "/" for the catch-all that
// answers 404 and 405), code the HTTP status.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	modelVersion prometheus.Gauge
	published    prometheus.Gauge
	loadedAt     prometheus.Gauge
	loadSeconds  prometheus.Histogram
	swaps        *prometheus.CounterVec
	rateLimited  prometheus.Counter
	routes       sync.Map // route pattern → *routeMetrics
}

// NewMetrics returns the metrics, registered.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_crmapi_requests_total", Help: "Requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quarry_crmapi_request_duration_seconds", Help: "Time to answer a request, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		modelVersion: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_crmapi_model_version", Help: "Version of the model served (0: none).",
		}),
		published: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_crmapi_model_published_version",
			Help: "Latest model version seen published in etcd for the dataset by Follow (0: not following).",
		}),
		loadedAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_crmapi_model_loaded_timestamp_seconds",
			Help: "Unix time the model served was swapped in (by a swap or a rollback; 0: none).",
		}),
		loadSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "quarry_crmapi_model_load_duration_seconds", Help: "Time to load and index a model version.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		swaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_crmapi_model_swaps_total", Help: "Model changes: swap (a new version), rollback, refused (failed to load).",
		}, []string{"kind"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_crmapi_rate_limited_total", Help: "Requests refused with 429.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.modelVersion, m.published, m.loadedAt, m.loadSeconds, m.swaps, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range []string{"swap", "rollback", "refused"} {
		m.swaps.WithLabelValues(k) // exported at 0 from the start
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Instrument counts and times every request h answers. It reads the route
// pattern ServeMux records on the request, so h should be the mux.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		rm := m.route(route)
		rm.requests(m, route, sw.code).Inc()
		rm.latency.Observe(time.Since(start).Seconds())
		if sw.code == http.StatusTooManyRequests {
			m.rateLimited.Inc()
		}
	})
}

// routeMetrics are one route's series, resolved once: WithLabelValues
// hashes its labels and takes a lock on every call.
type routeMetrics struct {
	latency prometheus.Observer
	codes   [500]atomic.Pointer[prometheus.Counter] // status 100–599 → requests_total series
}

// route returns the series of a route pattern.
func (m *Metrics) route(pattern string) *routeMetrics {
	if rm, ok := m.routes.Load(pattern); ok {
		return rm.(*routeMetrics)
	}
	rm, _ := m.routes.LoadOrStore(pattern, &routeMetrics{latency: m.latency.WithLabelValues(pattern)})
	return rm.(*routeMetrics)
}

// requests returns the requests_total series of the route and code; the
// series is created by the first request that needs it, as before.
func (rm *routeMetrics) requests(m *Metrics, route string, code int) prometheus.Counter {
	if code < 100 || code > 599 {
		return m.requests.WithLabelValues(route, strconv.Itoa(code))
	}
	p := &rm.codes[code-100]
	if c := p.Load(); c != nil {
		return *c
	}
	c := m.requests.WithLabelValues(route, strconv.Itoa(code))
	p.Store(&c)
	return c
}

// modelLoaded records a model load: its duration, and whether it was
// swapped in or refused.
func (m *Metrics) modelLoaded(d time.Duration, err error) {
	m.loadSeconds.Observe(d.Seconds())
	if err != nil {
		m.swaps.WithLabelValues("refused").Inc()
	}
}

// modelChanged records the version now served, by a swap or a rollback,
// and when it was swapped in.
func (m *Metrics) modelChanged(kind string, version int, at time.Time) {
	m.swaps.WithLabelValues(kind).Inc()
	m.modelVersion.Set(float64(version))
	m.loadedAt.Set(float64(at.UnixNano()) / 1e9)
}

// modelPublished records the latest version Follow saw published; 0
// when it stops following.
func (m *Metrics) modelPublished(version int) {
	m.published.Set(float64(version))
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
