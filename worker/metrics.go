package worker

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quarrydata/quarry/jobs"
)

// Metrics are a worker's Prometheus metrics, on a registry of their own
// with the Go and process collectors. Labels are bounded: job types,
// stage names with their round number cut off ("lloyd-7" is "lloyd"),
// fixed outcome sets; never job, worker or attempt ids. A nil *Metrics
// records nothing (Config.Metrics is optional).
type Metrics struct {
	reg           *prometheus.Registry
	slots         prometheus.Gauge
	running       prometheus.Gauge
	taskDuration  *prometheus.HistogramVec
	kernel        *prometheus.HistogramVec
	bytesRead     prometheus.Counter
	rowsRead      prometheus.Counter
	throughput    prometheus.Histogram
	renewals      *prometheus.CounterVec
	aborted       prometheus.Counter
	reports       *prometheus.CounterVec
	registrations prometheus.Counter
	leaseLosses   prometheus.Counter
}

// Label values exported at 0 from the start.
var (
	renewalResults = []string{"acknowledged", "failed"}
	reportResults  = []string{"accepted", "refused", "rejected"}
)

// NewMetrics returns a worker's metrics, registered on their own registry.
// Pass them as Config.Metrics and serve Handler (ServeMetrics).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		slots: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_worker_slots", Help: "Attempts the worker runs at once (Config.Slots).",
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_worker_tasks_running", Help: "Attempts running now (holding a slot).",
		}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quarry_worker_task_duration_seconds", Help: "Wall time of an attempt on the worker, from taking a slot to its outcome, by job type, stage and outcome (succeeded, failed, cancelled).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}, []string{"job_type", "stage", "outcome"}),
		kernel: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quarry_worker_kernel_duration_seconds", Help: "Time a succeeded attempt spent in its task (jobs.TaskResult.Duration), by job type and stage.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}, []string{"job_type", "stage"}),
		bytesRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_worker_read_bytes_total", Help: "Bytes read from the object store by attempts, counted as they are read.",
		}),
		rowsRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_worker_read_rows_total", Help: "Input records read by succeeded attempts, counted when they finish.",
		}),
		throughput: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "quarry_worker_read_throughput_bytes_per_second", Help: "Partition read throughput of a succeeded attempt that read input: bytes read over its task time.",
			Buckets: prometheus.ExponentialBuckets(1<<20, 2, 12),
		}),
		renewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_worker_lease_renewals_total", Help: "Heartbeats renewing the leases of the running attempts, by result: acknowledged by the leader, or failed (no leader, error, timeout).",
		}, []string{"result"}),
		aborted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_worker_attempts_aborted_total", Help: "Running attempts a heartbeat answer told the worker to abort (lost, cancelled or superseded on the leader).",
		}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_worker_reports_total", Help: "Attempt reports delivered to the leader, by result: accepted, refused (stale: another attempt won, or the attempt was lost), rejected (a non-retryable error).",
		}, []string{"result"}),
		registrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_worker_registrations_total", Help: "Registrations in etcd: 1 at start, plus one per registration again after a lost lease.",
		}),
		leaseLosses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_worker_registration_lease_losses_total", Help: "Times the worker's etcd registration lease was lost while it ran.",
		}),
	}
	m.reg.MustRegister(m.slots, m.running, m.taskDuration, m.kernel, m.bytesRead, m.rowsRead, m.throughput,
		m.renewals, m.aborted, m.reports, m.registrations, m.leaseLosses,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range renewalResults {
		m.renewals.WithLabelValues(r)
	}
	for _, r := range reportResults {
		m.reports.WithLabelValues(r)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// started records a worker's start: its slots and first registration.
func (m *Metrics) started(slots int) {
	if m == nil {
		return
	}
	m.slots.Set(float64(slots))
	m.registrations.Inc()
}

// taskStarted counts an attempt taking a slot; call the function it
// returns with the attempt's outcome and, if it succeeded, its result.
func (m *Metrics) taskStarted(jobType jobs.Type, stage string) func(outcome string, res *jobs.TaskResult) {
	if m == nil {
		return func(string, *jobs.TaskResult) {}
	}
	start := time.Now()
	m.running.Inc()
	jt, st := string(jobType), stageLabel(stage)
	if jt == "" {
		jt = "unknown"
	}
	return func(outcome string, res *jobs.TaskResult) {
		m.running.Dec()
		m.taskDuration.WithLabelValues(jt, st, outcome).Observe(time.Since(start).Seconds())
		if res == nil {
			return
		}
		m.kernel.WithLabelValues(jt, st).Observe(res.Duration.Seconds())
		m.rowsRead.Add(float64(max(res.Rows, 0)))
		if res.BytesRead > 0 && res.Duration > 0 {
			m.throughput.Observe(float64(res.BytesRead) / res.Duration.Seconds())
		}
	}
}

// read counts n bytes read from the store.
func (m *Metrics) read(n int) {
	if m != nil && n > 0 {
		m.bytesRead.Add(float64(n))
	}
}

// renewal counts a heartbeat's result and the attempts it aborted.
func (m *Metrics) renewal(ok bool, aborted int) {
	if m == nil {
		return
	}
	if !ok {
		m.renewals.WithLabelValues("failed").Inc()
		return
	}
	m.renewals.WithLabelValues("acknowledged").Inc()
	m.aborted.Add(float64(aborted))
}

// reported counts a report's result: accepted, refused or rejected.
func (m *Metrics) reported(result string) {
	if m != nil {
		m.reports.WithLabelValues(result).Inc()
	}
}

// leaseLost counts a lost registration lease.
func (m *Metrics) leaseLost() {
	if m != nil {
		m.leaseLosses.Inc()
	}
}

// registeredAgain counts a registration after a lost lease.
func (m *Metrics) registeredAgain() {
	if m != nil {
		m.registrations.Inc()
	}
}

// stageLabel bounds a stage name for use as a label: a trailing "-N"
// round number is cut ("lloyd-12" → "lloyd"), as coordinator.StageLabel
// does (the worker does not import the coordinator).
func stageLabel(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return name
	}
	for _, r := range name[i+1:] {
		if r < '0' || r > '9' {
			return name
		}
	}
	return name[:i]
}
