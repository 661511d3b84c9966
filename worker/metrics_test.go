package worker_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/promtest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/worker"
)

// workerFamilies are every family a worker exports from its start; the
// histograms' labelled series appear with their first observation.
var workerFamilies = []string{
	"quarry_worker_slots",
	"quarry_worker_tasks_running",
	"quarry_worker_read_bytes_total",
	"quarry_worker_read_rows_total",
	"quarry_worker_read_throughput_bytes_per_second",
	"quarry_worker_lease_renewals_total",
	"quarry_worker_attempts_aborted_total",
	"quarry_worker_reports_total",
	"quarry_worker_registrations_total",
	"quarry_worker_registration_lease_losses_total",
	"go_goroutines",
	"process_cpu_seconds_total",
}

// serveMetrics serves m on loopback until the test ends and returns the
// scrape URL.
func serveMetrics(t *testing.T, m *worker.Metrics) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- worker.ServeMetrics(ctx, lis, m) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeMetrics: got %v; want nil after shutdown", err)
		}
	})
	return "http://" + lis.Addr().String()
}

// importedBucket returns a local store with retail-sample.dat imported as
// dataset "r" (version 1) in 2 partitions.
func importedBucket(t *testing.T) objstore.Bucket {
	t.Helper()
	b := newBucket(t)
	path := testenv.Path(t, "retail-sample.dat")
	src, err := local.New(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = dataset.Import(context.Background(), b, "r",
		[]dataset.SourceObject{{Bucket: src, Key: filepath.Base(path), URL: path}},
		dataset.Options{Spec: dataset.Spec{Format: format.FormatFIMI, Partitions: 2}, Workers: 2})
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return b
}

// TestMetricsServer checks the endpoint: every family at 0 before the
// worker does anything, 404 elsewhere, clean shutdown (in cleanup).
func TestMetricsServer(t *testing.T) {
	url := serveMetrics(t, worker.NewMetrics())
	s := promtest.Get(t, url+"/metrics")
	for _, name := range workerFamilies {
		if _, ok := s[name]; !ok {
			t.Errorf("family %s: missing", name)
		}
	}
	if v, _ := s.Value("quarry_worker_lease_renewals_total", "result", "failed"); v != 0 {
		t.Errorf("renewals failed before any heartbeat: got %v; want 0", v)
	}
	resp, err := http.Get(url + "/other")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other: got %d; want 404", resp.StatusCode)
	}
}

// TestWorkerMetrics runs attempts that succeed, fail and get aborted on
// workers with metrics and checks that the families moved: tasks by
// outcome, kernel time, bytes and rows read, throughput, reports, lease
// renewals and aborts, registrations; and that nothing stays running.
func TestWorkerMetrics(t *testing.T) {
	m := worker.NewMetrics()
	url := serveMetrics(t, m) + "/metrics"

	// Worker 1 over the imported dataset: one attempt succeeds, one fails
	// (its dataset does not exist).
	f, addr := startFake(t)
	startWorkerWith(t, worker.Config{Slots: 2, Bucket: importedBucket(t), LeaderAddr: addr, Metrics: m})
	<-f.pulls
	f.assign <- runMsg(1, validSpec(t))
	bad, err := json.Marshal(jobs.TaskSpec{Job: "j", Stage: "size", Op: jobs.OpSize, Buckets: []int{0}, Attempt: "a2",
		Spec: jobs.Spec{Type: jobs.TypeItemsets, Dataset: "nope", Version: 1, Itemsets: &jobs.ItemsetsSpec{MinSupport: 0.1}}})
	if err != nil {
		t.Fatal(err)
	}
	f.assign <- &quarryv1.TaskAssignment{Action: quarryv1.Action_ACTION_RUN, AttemptId: 2, JobId: "j", StageName: "size", Spec: bad}
	outcomes := map[uint64]quarryv1.Outcome{}
	for len(outcomes) < 2 {
		select {
		case r := <-f.reports:
			outcomes[r.GetAttemptId()] = r.GetOutcome()
		case <-time.After(10 * time.Second):
			t.Fatalf("reports within 10s: got %v; want attempts 1 and 2", outcomes)
		}
	}
	if outcomes[1] != quarryv1.Outcome_OUTCOME_SUCCEEDED || outcomes[2] != quarryv1.Outcome_OUTCOME_FAILED {
		t.Fatalf("outcomes: got %v; want 1 succeeded, 2 failed", outcomes)
	}

	// Worker 2 shares the metrics (one process, one registry): its attempt
	// trickles, is heartbeaten, and is aborted by the leader.
	f2, addr2 := startFake(t)
	w2 := startWorkerWith(t, worker.Config{Slots: 1, Bucket: trickle{newBucket(t)}, LeaderAddr: addr2, Metrics: m})
	<-f2.pulls
	run := runMsg(3, validSpec(t))
	run.StageName = "lloyd-4"
	run.Lease = durationpb.New(150 * time.Millisecond)
	f2.assign <- run
	select {
	case <-f2.beats:
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat within 10s")
	}
	f2.abort(3)
	eventually(t, "attempt 3 aborted", func() bool { return w2.Running() == 0 })

	var s promtest.Scrape
	check := func(name string, ok func(float64) bool, want string, labels ...string) {
		t.Helper()
		v, found := s.Value(name, labels...)
		if !found || !ok(v) {
			t.Errorf("%s%v: got %v (found %v); want %s", name, labels, v, found, want)
		}
	}
	positive := func(v float64) bool { return v > 0 }
	// The reports are counted once the fake leader's answers arrive.
	eventually(t, "reports counted", func() bool {
		s = promtest.Get(t, url)
		v, _ := s.Value("quarry_worker_reports_total", "result", "accepted")
		return v >= 2
	})
	check("quarry_worker_task_duration_seconds", func(v float64) bool { return v == 1 }, "1", "job_type", "itemsets", "stage", "size", "outcome", "succeeded")
	check("quarry_worker_task_duration_seconds", func(v float64) bool { return v == 1 }, "1", "job_type", "itemsets", "stage", "size", "outcome", "failed")
	check("quarry_worker_task_duration_seconds", func(v float64) bool { return v == 1 }, "1 (stage lloyd-4 labelled lloyd)", "stage", "lloyd", "outcome", "cancelled")
	check("quarry_worker_kernel_duration_seconds", func(v float64) bool { return v == 1 }, "1", "job_type", "itemsets", "stage", "size")
	check("quarry_worker_read_bytes_total", func(v float64) bool { return v > 100 }, "> 100 (a partition and the trickle)")
	check("quarry_worker_read_rows_total", positive, "> 0")
	check("quarry_worker_read_throughput_bytes_per_second", func(v float64) bool { return v == 1 }, "1")
	check("quarry_worker_lease_renewals_total", positive, "> 0", "result", "acknowledged")
	check("quarry_worker_attempts_aborted_total", func(v float64) bool { return v >= 1 }, ">= 1")
	check("quarry_worker_registrations_total", func(v float64) bool { return v == 2 }, "2 (one per worker)")
	check("quarry_worker_tasks_running", func(v float64) bool { return v == 0 }, "0")
	check("quarry_worker_slots", func(v float64) bool { return v == 1 }, "1 (the last worker started)")
}
