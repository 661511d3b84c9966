package coordinator_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/internal/promtest"
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

// hasAll fails the test for each family of names missing from s.
func hasAll(t *testing.T, s promtest.Scrape, names []string) {
	t.Helper()
	for _, n := range s.Missing(names) {
		t.Errorf("family %s: missing", n)
	}
}

// TestMetricsBeforeStore checks that fresh metrics export every family at
// 0, with no replica attached.
func TestMetricsBeforeStore(t *testing.T) {
	s := promtest.Handler(t, coordinator.NewMetrics().Handler())
	hasAll(t, s, coordinatorFamilies)
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
		if got := s.MustValue(t, c.name, c.labels...); got != 0 {
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
	before := promtest.Handler(t, leader.Metrics().Handler())
	hasAll(t, before, coordinatorFamilies)
	if got := before.MustValue(t, "quarry_coordinator_task_assignments_total"); got != 0 {
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
	s := promtest.Get(t, "http://"+nodes[0].HTTPAddr()+"/metrics")
	hasAll(t, s, coordinatorFamilies)

	l := promtest.Handler(t, leader.Metrics().Handler())
	hasAll(t, l, append(coordinatorFamilies, "quarry_coordinator_task_duration_seconds"))
	atLeast := func(name string, want float64, labels ...string) {
		t.Helper()
		if got := l.MustValue(t, name, labels...); got < want {
			t.Errorf("leader %s%v: got %v; want at least %v", name, labels, got, want)
		}
	}
	equal := func(s promtest.Scrape, who, name string, want float64, labels ...string) {
		t.Helper()
		if got := s.MustValue(t, name, labels...); got != want {
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

	f := promtest.Handler(t, followers[0].Metrics().Handler())
	hasAll(t, f, coordinatorFamilies)
	equal(f, "follower", "quarry_coordinator_raft_state", 0, "state", "leader")
	equal(f, "follower", "quarry_coordinator_raft_state", 1, "state", "follower")
	equal(f, "follower", "quarry_coordinator_task_assignments_total", 0)
	if got := f.MustValue(t, "quarry_coordinator_raft_leader_changes_total"); got < 1 {
		t.Errorf("follower leader changes: got %v; want at least 1", got)
	}
}
