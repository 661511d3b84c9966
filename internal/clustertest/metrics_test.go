package clustertest

import (
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/promtest"
)

// testMetricsScraped scrapes the real processes of a cluster before and
// after a job (issue 6: "a test scrapes each process and checks the
// families exist and move"): every coordinator and worker serves its
// families, the leader's scheduling counters and the workers' task and
// read counters move with the job, and the raft state gauges name one
// leader.
func testMetricsScraped(t *testing.T, in *Infra) {
	c := newCluster(t, in, "metrics")
	ws := []*Worker{c.startWorker("w1", 1), c.startWorker("w2", 1)}
	c.waitWorkers("w1", "w2")
	lead := c.leader(30*time.Second, nil)

	coordURL := func(co *Coordinator) string { return "http://" + co.HTTPAddr + "/metrics" }
	workerURL := func(w *Worker) string { return "http://" + w.MetricsAddr + "/metrics" }
	before := promtest.Get(t, coordURL(lead))
	workersBefore := map[string]promtest.Scrape{}
	for _, w := range ws {
		workersBefore[w.ID] = promtest.Get(t, workerURL(w))
	}

	const id = "metrics-job"
	c.submit(id)
	st := c.waitJob(id, 60*time.Second)
	c.checkExact(st)
	tasks := 0
	for _, s := range st.Stages {
		tasks += int(s.TasksTotal)
	}

	leaders := 0
	for _, co := range c.Coords {
		s := promtest.Get(t, coordURL(co))
		for _, n := range s.Missing(coordinatorFamilies) {
			t.Errorf("coordinator %s: family %s missing", co.ID, n)
		}
		leaders += int(s.MustValue(t, "quarry_coordinator_raft_state", "state", "leader"))
	}
	if leaders != 1 {
		t.Errorf("coordinators reporting raft state leader: got %d; want 1", leaders)
	}

	after := promtest.Get(t, coordURL(lead))
	moved := func(who, name string, b, a promtest.Scrape, atLeast float64, labels ...string) {
		t.Helper()
		v0, _ := b.Value(name, labels...)
		v1 := a.MustValue(t, name, labels...)
		if v1-v0 < atLeast {
			t.Errorf("%s %s%v: moved %v → %v; want an increase of at least %v", who, name, labels, v0, v1, atLeast)
		}
	}
	moved("leader", "quarry_coordinator_task_assignments_total", before, after, float64(tasks))
	moved("leader", "quarry_coordinator_attempt_reports_total", before, after, float64(tasks), "outcome", "succeeded", "result", "accepted")
	moved("leader", "quarry_coordinator_task_duration_seconds", before, after, float64(tasks), "job_type", "itemsets")
	moved("leader", "quarry_coordinator_raft_apply_duration_seconds", before, after, 1)
	moved("leader", "quarry_coordinator_jobs", before, after, 1, "state", "succeeded", "type", "itemsets")

	// Both workers ran tasks: with one slot each and several tasks per
	// stage, the scheduler gives each a share.
	total := 0.0
	for _, w := range ws {
		a := promtest.Get(t, workerURL(w))
		for _, n := range a.Missing(workerFamilies) {
			t.Errorf("worker %s: family %s missing", w.ID, n)
		}
		b := workersBefore[w.ID]
		d0, _ := b.Value("quarry_worker_task_duration_seconds")
		d1 := a.MustValue(t, "quarry_worker_task_duration_seconds")
		total += d1 - d0
		if d1 > d0 {
			moved("worker "+w.ID, "quarry_worker_read_rows_total", b, a, 1)
			moved("worker "+w.ID, "quarry_worker_read_bytes_total", b, a, 1)
		}
	}
	if int(total) < tasks {
		t.Errorf("tasks timed by the workers: got %v; want at least the job's %d", total, tasks)
	}
}

// coordinatorFamilies and workerFamilies are families every coordinator
// and worker process exports from its start (a sample of each kind, and
// the Go and process collectors).
var (
	coordinatorFamilies = []string{
		"quarry_coordinator_task_assignments_total",
		"quarry_coordinator_queue_depth",
		"quarry_coordinator_jobs",
		"quarry_coordinator_workers",
		"quarry_coordinator_slots",
		"quarry_coordinator_raft_state",
		"quarry_coordinator_raft_leader_changes_total",
		"quarry_coordinator_fsm_objects",
		"go_goroutines",
		"process_resident_memory_bytes",
	}
	workerFamilies = []string{
		"quarry_worker_tasks_running",
		"quarry_worker_task_duration_seconds",
		"quarry_worker_read_bytes_total",
		"quarry_worker_read_rows_total",
		"quarry_worker_kernel_duration_seconds",
		"quarry_worker_lease_renewals_total",
		"go_goroutines",
		"process_resident_memory_bytes",
	}
)
