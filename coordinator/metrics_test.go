package coordinator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// coordinatorFamilies are every family a coordinator exports from its
// start; the task duration histogram's series appear with the first
// completion of their job type and stage.
var coordinatorFamilies = []string{
	"quarry_coordinator_task_assignments_total",
	"quarry_coordinator_task_retries_total",
	"quarry_coordinator_speculative_attempts_total",
	"quarry_coordinator_plan_actions_total",
	"quarry_coordinator_attempt_reports_total",
	"quarry_coordinator_raft_leader_changes_total",
	"quarry_coordinator_raft_apply_duration_seconds",
	"quarry_coordinator_worker_streams",
	"quarry_coordinator_jobs",
	"quarry_coordinator_queue_depth",
	"quarry_coordinator_attempts_running",
	"quarry_coordinator_fsm_objects",
	"quarry_coordinator_workers",
	"quarry_coordinator_slots",
	"quarry_coordinator_raft_state",
	"quarry_coordinator_raft_term",
	"quarry_coordinator_raft_index",
	"go_goroutines",
	"process_cpu_seconds_total",
}

// scrape is one parsed scrape: families by name.
type scrape map[string]*dto.MetricFamily

// scrapeHandler scrapes h at /metrics.
func scrapeHandler(t *testing.T, h http.Handler) scrape {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d; want 200", rec.Code)
	}
	return parseScrape(t, rec.Body)
}

// scrapeURL scrapes url over HTTP.
func scrapeURL(t *testing.T, url string) scrape {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got status %d; want 200", url, resp.StatusCode)
	}
	return parseScrape(t, resp.Body)
}

func parseScrape(t *testing.T, r io.Reader) scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// value returns the value (a counter's, a gauge's, a histogram's sample
// count) of the series of family name with the given label pairs.
func (s scrape) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	f, ok := s[name]
	if !ok {
		t.Fatalf("family %s: missing", name)
	}
	sum, found := 0.0, false
series:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			ok := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					ok = true
				}
			}
			if !ok {
				continue series
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	if !found {
		t.Fatalf("family %s: no series with labels %v", name, labels)
	}
	return sum
}

func (s scrape) hasAll(t *testing.T, names []string) {
	t.Helper()
	for _, n := range names {
		if _, ok := s[n]; !ok {
			t.Errorf("family %s: missing", n)
		}
	}
}

// TestMetricsBeforeStore checks that fresh metrics export every family at
// 0, with no replica attached.
func TestMetricsBeforeStore(t *testing.T) {
	s := scrapeHandler(t, coordinator.NewMetrics().Handler())
	s.hasAll(t, coordinatorFamilies)
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"quarry_coordinator_task_assignments_total", nil},
		{"quarry_coordinator_task_retries_total", []string{"cause", "failed"}},
		{"quarry_coordinator_plan_actions_total", []string{"kind", "assign", "outcome", "committed"}},
		{"quarry_coordinator_jobs", []string{"state", "running", "type", "itemsets"}},
		{"quarry_coordinator_raft_state", []string{"state", "leader"}},
	} {
		if got := s.value(t, c.name, c.labels...); got != 0 {
			t.Errorf("%s%v: got %v; want 0", c.name, c.labels, got)
		}
	}
}

// TestStageLabel checks that round numbers are cut off stage names.
func TestStageLabel(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"local", "local"}, {"lloyd-12", "lloyd"}, {"seed-cost-3", "seed-cost"}, {"seed-sample", "seed-sample"},
		{"x-", "x-"}, {"-3", "-3"}, {"count-a1", "count-a1"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := coordinator.StageLabel(c.in); got != c.want {
				t.Errorf("StageLabel(%q): got %q; want %q", c.in, got, c.want)
			}
		})
	}
}

// TestNodeMetrics runs a job on a three-node group with two workers and
// scrapes the nodes: every family exists on the leader and on a follower,
// the leader's assignments, reports, task durations and applies moved, the
// state families agree with the FSM, and raft state says leader on the
// leader only.
func TestNodeMetrics(t *testing.T) {
	nodes, c := startNodes(t, 3)
	leader, followers := leadingNode(t, nodes)
	before := scrapeHandler(t, leader.Metrics().Handler())
	before.hasAll(t, coordinatorFamilies)
	if got := before.value(t, "quarry_coordinator_task_assignments_total"); got != 0 {
		t.Fatalf("assignments before any job: got %v; want 0", got)
	}

	c.startWorker(t, "w1", 2, c.bucket, "")
	c.startWorker(t, "w2", 2, c.bucket, "")
	c.store = leader.Store()
	c.waitWorkers(t, "w1", "w2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := leader.Driver().Submit(ctx, "metrics-job", []byte(e2eSpec), 0); err != nil {
		t.Fatal(err)
	}
	j := c.waitJob(t, "metrics-job", 45*time.Second)
	if j.State != scheduler.JobSucceeded {
		t.Fatalf("job: got state %v (%s); want succeeded", j.State, j.Reason)
	}
	tasks := 0
	for _, st := range j.Stages {
		tasks += len(st.Tasks)
	}

	// Node 0 serves the HTTP API: its /metrics is on the same listener.
	s := scrapeURL(t, "http://"+nodes[0].HTTPAddr()+"/metrics")
	s.hasAll(t, coordinatorFamilies)

	l := scrapeHandler(t, leader.Metrics().Handler())
	l.hasAll(t, append(coordinatorFamilies, "quarry_coordinator_task_duration_seconds"))
	atLeast := func(name string, want float64, labels ...string) {
		t.Helper()
		if got := l.value(t, name, labels...); got < want {
			t.Errorf("leader %s%v: got %v; want at least %v", name, labels, got, want)
		}
	}
	equal := func(s scrape, who, name string, want float64, labels ...string) {
		t.Helper()
		if got := s.value(t, name, labels...); got != want {
			t.Errorf("%s %s%v: got %v; want %v", who, name, labels, got, want)
		}
	}
	atLeast("quarry_coordinator_task_assignments_total", float64(tasks))
	atLeast("quarry_coordinator_plan_actions_total", float64(tasks), "kind", "assign", "outcome", "committed")
	atLeast("quarry_coordinator_plan_actions_total", 1, "kind", "start-job", "outcome", "committed")
	atLeast("quarry_coordinator_attempt_reports_total", float64(tasks), "outcome", "succeeded", "result", "accepted")
	atLeast("quarry_coordinator_task_duration_seconds", float64(tasks), "job_type", "itemsets")
	atLeast("quarry_coordinator_task_duration_seconds", 1, "job_type", "itemsets", "stage", "count")
	atLeast("quarry_coordinator_raft_apply_duration_seconds", 1, "command", "batch")
	atLeast("quarry_coordinator_raft_apply_duration_seconds", float64(tasks), "command", "complete_attempt")
	atLeast("quarry_coordinator_raft_leader_changes_total", 1)
	atLeast("quarry_coordinator_raft_term", 1)
	atLeast("quarry_coordinator_raft_index", 1, "kind", "applied")
	equal(l, "leader", "quarry_coordinator_jobs", 1, "state", "succeeded", "type", "itemsets")
	equal(l, "leader", "quarry_coordinator_jobs", 0, "state", "running")
	equal(l, "leader", "quarry_coordinator_queue_depth", 0)
	equal(l, "leader", "quarry_coordinator_fsm_objects", 1, "kind", "jobs")
	equal(l, "leader", "quarry_coordinator_fsm_objects", float64(tasks), "kind", "tasks")
	atLeast("quarry_coordinator_fsm_objects", float64(tasks), "kind", "attempts")
	equal(l, "leader", "quarry_coordinator_workers", 2, "state", "active")
	equal(l, "leader", "quarry_coordinator_slots", 4)
	equal(l, "leader", "quarry_coordinator_raft_state", 1, "state", "leader")
	equal(l, "leader", "quarry_coordinator_raft_state", 0, "state", "follower")

	f := scrapeHandler(t, followers[0].Metrics().Handler())
	f.hasAll(t, coordinatorFamilies)
	equal(f, "follower", "quarry_coordinator_raft_state", 0, "state", "leader")
	equal(f, "follower", "quarry_coordinator_raft_state", 1, "state", "follower")
	equal(f, "follower", "quarry_coordinator_task_assignments_total", 0)
	if got := f.value(t, "quarry_coordinator_raft_leader_changes_total"); got < 1 {
		t.Errorf("follower leader changes: got %v; want at least 1", got)
	}
}
