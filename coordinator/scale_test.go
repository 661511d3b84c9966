package coordinator_test

import (
	"testing"
	"time"

	"github.com/quarrydata/quarry/worker"
)

// TestWorkersAddedMidJobShortenIt runs the same job twice over partition
// reads that take 150 ms each: once on one single-slot worker, once with
// two more workers joining after the first stage started. The second run
// must be clearly faster (ratio of the two wall times, measured in one
// test), every added worker must have run attempts, and both results
// equal jobs.RunLocal's.
func TestWorkersAddedMidJobShortenIt(t *testing.T) {
	c := startCluster(t)
	slow := slowBucket{Bucket: c.bucket, delay: 150 * time.Millisecond}
	c.startWorkerWith(t, worker.Config{ID: "w1", Slots: 1, Bucket: slow})
	c.waitWorkers(t, "w1")

	run := func(id string, join func()) time.Duration {
		start := time.Now()
		submit(t, c, id)
		if join != nil {
			join()
		}
		j := c.waitJob(t, id, 60*time.Second)
		checkSucceeded(t, j)
		return time.Since(start)
	}
	alone := run("scale-alone", nil)
	joined := run("scale-joined", func() {
		time.Sleep(100 * time.Millisecond) // the first stage has started on w1
		c.startWorkerWith(t, worker.Config{ID: "w2", Slots: 1, Bucket: slow})
		c.startWorkerWith(t, worker.Config{ID: "w3", Slots: 1, Bucket: slow})
	})
	ratio := float64(joined) / float64(alone)
	t.Logf("one worker: %v; two more joining after 100 ms: %v (ratio %.2f)", alone.Round(time.Millisecond), joined.Round(time.Millisecond), ratio)
	if ratio > 0.8 {
		t.Errorf("wall time with workers added mid-job: got %.2f of the single worker's; want at most 0.8", ratio)
	}
	j, _ := c.store.FSM().Job("scale-joined")
	ran := map[string]int{}
	for _, st := range j.Stages {
		for _, tk := range st.Tasks {
			for _, a := range tk.Attempts {
				ran[a.Worker]++
			}
		}
	}
	for _, w := range []string{"w2", "w3"} {
		if ran[w] == 0 {
			t.Errorf("worker %s joined mid-job: got no attempt; want some (attempts per worker %v)", w, ran)
		}
	}
	sameResults(t, c.bucket, runLocal(t, "scale-joined"), "scale-joined")
}
