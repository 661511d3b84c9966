package coordinator_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
)

// e2eSpec is an itemsets job with rules over dataset "r".
const e2eSpec = `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.02,"rules":{"min_confidence":0.3}}}`

// runLocal runs the reference job id over a fresh import of "r" and
// returns the bucket holding its results.
func runLocal(t *testing.T, id string) objstore.Bucket {
	t.Helper()
	spec, err := jobs.ParseSpec([]byte(e2eSpec))
	if err != nil {
		t.Fatal(err)
	}
	ref := newBucket(t)
	if _, err := jobs.RunLocal(context.Background(), ref, spec, jobs.LocalOptions{JobID: id, Workers: 2}); err != nil {
		t.Fatalf("RunLocal: %v", err)
	}
	return ref
}

// submit submits the e2e job as id.
func submit(t *testing.T, c *testCluster, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.driver.Submit(ctx, id, []byte(e2eSpec), 0); err != nil {
		t.Fatal(err)
	}
}

// checkSucceeded checks that job j succeeded with a result manifest key.
func checkSucceeded(t *testing.T, j *coordinator.Job) {
	t.Helper()
	if j.State != scheduler.JobSucceeded {
		t.Fatalf("job %s: got state %v (%s); want succeeded", j.ID, j.State, j.Reason)
	}
	key, ok := coordinator.ResultKey(j)
	if want := jobs.ResultPrefix(j.ID) + jobs.ResultManifestName; !ok || key != want {
		t.Fatalf("job %s result key: got %q, %v; want %q", j.ID, key, ok, want)
	}
}

// TestEndToEnd runs an itemsets+rules job on two workers over gRPC, one
// with the leader's address configured and one finding it in etcd, and
// checks its results equal jobs.RunLocal's byte for byte.
func TestEndToEnd(t *testing.T) {
	c := startCluster(t)
	c.startWorker(t, "w1", 2, c.bucket, c.addr)
	c.startWorker(t, "w2", 2, c.bucket, "")
	c.waitWorkers(t, "w1", "w2")
	const id = "e2e-itemsets"
	start := time.Now()
	submit(t, c, id)
	j := c.waitJob(t, id, 45*time.Second)
	t.Logf("job %s finished in %v with %d stages", id, time.Since(start), len(j.Stages))
	checkSucceeded(t, j)
	workers := map[string]bool{}
	for _, st := range j.Stages {
		for _, tk := range st.Tasks {
			for _, a := range tk.Attempts {
				if a.ID == tk.Winner {
					workers[a.Worker] = true
				}
			}
		}
	}
	if !workers["w1"] || !workers["w2"] {
		t.Errorf("workers that won tasks: got %v; want w1 and w2", workers)
	}
	sameResults(t, c.bucket, runLocal(t, id), id)
	waitCollected(t, c.bucket, id)
}

// TestEndToEndWorkerLost stops a worker while it runs a task: its
// registration goes, the leader removes it, the scheduler reassigns its
// attempts to the other worker without counting a failure, and the job
// still ends with RunLocal's bytes.
func TestEndToEndWorkerLost(t *testing.T) {
	c := startCluster(t)
	stuck := blockingBucket{Bucket: c.bucket, reads: make(chan string, 1)}
	w1 := c.startWorker(t, "w1", 2, stuck, c.addr)
	c.waitWorkers(t, "w1")
	const id = "e2e-lost"
	submit(t, c, id)
	select {
	case <-stuck.reads:
	case <-time.After(30 * time.Second):
		t.Fatal("worker w1 got no task within 30s")
	}
	c.startWorker(t, "w2", 2, c.bucket, c.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	j := c.waitJob(t, id, 45*time.Second)
	checkSucceeded(t, j)
	lost := 0
	for _, st := range j.Stages {
		for _, tk := range st.Tasks {
			for _, a := range tk.Attempts {
				if a.Worker == "w1" && a.State == scheduler.AttemptLost {
					lost++
				}
				if a.State == scheduler.AttemptFailed {
					t.Errorf("attempt %d on %s: got failed (%s); want no counted failure", a.ID, a.Worker, a.Reason)
				}
			}
		}
	}
	if lost == 0 {
		t.Errorf("lost attempts of w1: got 0; want at least 1")
	}
	sameResults(t, c.bucket, runLocal(t, id), id)
	waitCollected(t, c.bucket, id)
}
