package coordinator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/jobs"
)

// TestLatePartialCollected writes an attempt's partial under a job's prefix
// after the job succeeded and its partials were collected, as a worker
// paused past its attempt's lease does when it resumes: the driver's
// second collection pass deletes it, and leaves the results.
func TestLatePartialCollected(t *testing.T) {
	const id = "late-partial"
	c := finishedJob(t, id, func(d *coordinator.Driver) { d.SetCollectAgainAfter(300 * time.Millisecond) })
	waitCollected(t, c.bucket, id)

	late := jobs.JobPrefix(id) + "stage-0/task-0/attempt-999.partial"
	if err := c.bucket.Upload(context.Background(), late, strings.NewReader("late")); err != nil {
		t.Fatal(err)
	}
	waitCollected(t, c.bucket, id)
	sameResults(t, c.bucket, runLocal(t, id), id)
}

// TestFinishedJobsForgotten sets a short retention: once a job ended, its
// partials were collected (both passes) and the retention passed, the
// leader forgets it; its results stay in the store.
func TestFinishedJobsForgotten(t *testing.T) {
	const id = "forgotten"
	c := finishedJob(t, id, func(d *coordinator.Driver) {
		d.SetCollectAgainAfter(100 * time.Millisecond)
		d.SetJobRetention(300 * time.Millisecond)
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, ok := c.store.FSM().Job(id); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still in the state 15 s after it ended; want it forgotten after 300 ms", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sameResults(t, c.bucket, runLocal(t, id), id)
}

// finishedJob starts a one-node cluster with one worker, configures its
// driver, and runs job id to success.
func finishedJob(t *testing.T, id string, configure func(*coordinator.Driver)) *testCluster {
	t.Helper()
	c := startCluster(t)
	configure(c.driver)
	c.startWorker(t, "w1", 2, c.bucket, c.addr)
	c.waitWorkers(t, "w1")
	submit(t, c, id)
	checkSucceeded(t, c.waitJob(t, id, 45*time.Second))
	return c
}
