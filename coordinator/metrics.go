package coordinator

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
)

// Metrics are a coordinator's Prometheus metrics, on a registry of their
// own with the Go and process collectors. Events (assignments, retries,
// reports, raft applies, leader changes) are counted where this replica
// proposes or observes them, never in FSM.Apply, so replaying the log
// after a restart counts nothing twice. State (jobs, queue depth, slots,
// raft state, FSM size) is read from the FSM and raft at scrape time.
// Labels are bounded: job types, stage names with their round number cut
// off ("lloyd-7" is "lloyd"), command names, fixed outcome sets; never job,
// worker or attempt ids. A nil *Metrics records nothing.
type Metrics struct {
	reg           *prometheus.Registry
	assignments   prometheus.Counter
	retries       *prometheus.CounterVec
	speculative   prometheus.Counter
	planActions   *prometheus.CounterVec
	reports       *prometheus.CounterVec
	taskDuration  *prometheus.HistogramVec
	leaderChanges prometheus.Counter
	applyDuration *prometheus.HistogramVec
	workerStreams prometheus.Gauge
	state         *stateCollector
}

// Label values exported at 0 from the start.
var (
	actionKinds    = []string{"start-job", "assign", "lose-attempt", "cancel-attempt", "fail-job"}
	actionOutcomes = []string{"committed", "refused"}
	retryCauses    = []string{"failed", "lost"}
	reportOutcomes = []string{"succeeded", "failed"}
	reportResults  = []string{"accepted", "refused"}
	commandNames   = []string{"submit_job", "append_stage", "finish_job", "assign_attempt", "complete_attempt", "fail_attempt",
		"cancel_job", "set_worker", "remove_worker", "publish_model", "set_dataset_version", "start_job", "batch", "renew_leases", "forget_jobs"}
	jobTypes = []string{string(jobs.TypeItemsets), string(jobs.TypeSequences), string(jobs.TypeSegments), string(jobs.TypeModel), string(jobs.TypeImport)}
)

// NewMetrics returns a coordinator's metrics, registered on their own
// registry. Attach them to a replica with Store.SetMetrics (StartNode does
// it) so the scrape-time families can read its state.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		assignments: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_coordinator_task_assignments_total", Help: "Attempts assigned to workers by committed plans (retries and speculative copies included).",
		}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_coordinator_task_retries_total", Help: "Assignments of a task whose previous attempt failed (cause=failed, counted against MaxAttempts) or was lost (cause=lost, not counted).",
		}, []string{"cause"}),
		speculative: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_coordinator_speculative_attempts_total", Help: "Speculative copies of straggling tasks assigned by committed plans.",
		}),
		planActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_coordinator_plan_actions_total", Help: "Scheduler actions the leader committed, by kind and whether the FSM accepted them (committed) or refused them (refused).",
		}, []string{"kind", "outcome"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_coordinator_attempt_reports_total", Help: "Attempt reports from workers, by outcome and whether the FSM accepted them (first committer wins) or refused them as stale.",
		}, []string{"outcome", "result"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quarry_coordinator_task_duration_seconds", Help: "Time from assignment to the accepted completion of a task's winning attempt, by job type and stage name.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}, []string{"job_type", "stage"}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_coordinator_raft_leader_changes_total", Help: "Leaders this replica has seen elected (a new leader id or term).",
		}),
		applyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quarry_coordinator_raft_apply_duration_seconds", Help: "Time to commit and apply one raft entry proposed by this replica, by command.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"command"}),
		workerStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_coordinator_worker_streams", Help: "Open PullTasks streams: workers connected to this replica (non-zero only on the leader).",
		}),
		state: &stateCollector{},
	}
	m.reg.MustRegister(m.assignments, m.retries, m.speculative, m.planActions, m.reports, m.taskDuration,
		m.leaderChanges, m.applyDuration, m.workerStreams, m.state,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range actionKinds {
		for _, o := range actionOutcomes {
			m.planActions.WithLabelValues(k, o)
		}
	}
	for _, c := range retryCauses {
		m.retries.WithLabelValues(c)
	}
	for _, o := range reportOutcomes {
		for _, r := range reportResults {
			m.reports.WithLabelValues(o, r)
		}
	}
	for _, c := range commandNames {
		m.applyDuration.WithLabelValues(c)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry the metrics are on, to gather them or to
// add more collectors of the same process.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// observeApply records the time one proposed entry took to commit and
// apply.
func (m *Metrics) observeApply(cmd Command, d time.Duration) {
	if m == nil {
		return
	}
	m.applyDuration.WithLabelValues(commandName(cmd)).Observe(d.Seconds())
}

// observePlan records a committed plan: each command's kind and outcome,
// and for accepted assignments whether they are retries or speculative
// copies (read from the FSM, which holds the plan by now).
func (m *Metrics) observePlan(f *FSM, b Batch, errs []error) {
	if m == nil {
		return
	}
	for i, c := range b {
		outcome := "committed"
		if i < len(errs) && errs[i] != nil {
			outcome = "refused"
		}
		m.planActions.WithLabelValues(actionKind(c), outcome).Inc()
		a, ok := c.(AssignAttempt)
		if !ok || outcome != "committed" {
			continue
		}
		m.assignments.Inc()
		if a.Speculative {
			m.speculative.Inc()
		} else if cause := f.retryCause(a.ID); cause != "" {
			m.retries.WithLabelValues(cause).Inc()
		}
	}
}

// observeReport records a worker's report and, for an accepted
// completion, the winning attempt's duration.
func (m *Metrics) observeReport(f *FSM, cmd Command, accepted bool) {
	if m == nil {
		return
	}
	outcome, result := "failed", "refused"
	if accepted {
		result = "accepted"
	}
	c, ok := cmd.(CompleteAttempt)
	if ok {
		outcome = "succeeded"
	}
	m.reports.WithLabelValues(outcome, result).Inc()
	if !ok || !accepted {
		return
	}
	if jobType, stage, start, found := f.attemptLabels(c.ID); found && !start.IsZero() {
		m.taskDuration.WithLabelValues(jobType, StageLabel(stage)).Observe(max(c.Time.Sub(start), 0).Seconds())
	}
}

// streamOpened counts an open PullTasks stream; call the function it
// returns when the stream ends.
func (m *Metrics) streamOpened() func() {
	if m == nil {
		return func() {}
	}
	m.workerStreams.Inc()
	return m.workerStreams.Dec
}

// StageLabel bounds a stage name for use as a label: a trailing "-N" round
// number is cut ("lloyd-12" → "lloyd", "seed-cost-3" → "seed-cost").
func StageLabel(name string) string {
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

// actionKind names the scheduler action a plan command carries out.
func actionKind(c Command) string {
	switch c := c.(type) {
	case StartJob:
		return scheduler.ActStartJob.String()
	case AssignAttempt:
		return scheduler.ActAssign.String()
	case FailAttempt:
		if c.Cancelled {
			return scheduler.ActCancelAttempt.String()
		}
		return scheduler.ActLoseAttempt.String()
	case FinishJob:
		return scheduler.ActFailJob.String()
	}
	return "other"
}

// commandName is the label of a command's message type.
func commandName(c Command) string {
	if t := int(c.Type()); t >= 1 && t <= len(commandNames) {
		return commandNames[t-1]
	}
	return "unknown"
}
