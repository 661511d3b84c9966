package clustertest

import (
	"os"
	"strings"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/miniotest"
)

// TestCluster runs each scenario on a cluster of its own (three
// coordinator processes and its workers) over one shared etcd and MinIO.
func TestCluster(t *testing.T) {
	if miniotest.Binary() == "" && os.Getenv("CI") == "" {
		// make test installs it first (make deps); in CI a missing server
		// fails in miniotest.Start instead.
		t.Skip("bin/minio not installed: run `make deps` to run the cluster tests (skipped outside CI)")
	}
	in := StartInfra(t)
	t.Run("worker-killed-mid-stage", func(t *testing.T) { testWorkerKilled(t, in) })
	t.Run("leader-killed-mid-job", func(t *testing.T) { testLeaderKilled(t, in) })
	t.Run("worker-added-mid-job", func(t *testing.T) { testWorkerAdded(t, in) })
	t.Run("worker-drained-mid-job", func(t *testing.T) { testWorkerDrained(t, in) })
	t.Run("metrics-scraped", func(t *testing.T) { testMetricsScraped(t, in) })
}

// testWorkerKilled SIGKILLs a worker while it runs a task of the first
// stage: its tasks run again elsewhere once its lease ends and the job
// ends with RunLocal's bytes.
func testWorkerKilled(t *testing.T, in *Infra) {
	c := newCluster(t, in, "worker-killed")
	victim := c.startWorker("w1", 1)
	c.startWorker("w2", 1)
	c.startWorker("w3", 1)
	victim.Proxy.Hold()
	c.waitWorkers("w1", "w2", "w3")

	const id = "kill-worker"
	c.submit(id)
	waitFor(t, 30*time.Second, "w1 in a task", func() bool {
		w := c.workers()["w1"]
		return victim.Proxy.HeldReads() > 0 && w != nil && w.Running > 0
	})
	if st := c.job(id); !midJob(st) {
		t.Fatalf("job %s before the kill: got %s; want it running with tasks left", id, Progress(st))
	} else {
		t.Logf("SIGKILL w1 (pid %d) at %s", victim.Proc().Pid(), Progress(st))
	}
	victim.Proc().Kill()

	st := c.waitJob(id, 60*time.Second)
	t.Logf("job ended: %s", Progress(st))
	c.checkExact(st)
}

// testLeaderKilled SIGKILLs the raft leader while a job runs, with a task
// done and another held: a follower takes over, the job ends with
// RunLocal's bytes, and `quarry jobs watch` given all three addresses
// follows the new leader to the end.
func testLeaderKilled(t *testing.T, in *Infra) {
	c := newCluster(t, in, "leader-killed")
	held := c.startWorker("w1", 1)
	free := c.startWorker("w2", 1)
	held.Proxy.Hold()
	c.waitWorkers("w1", "w2")
	old := c.leader(30*time.Second, nil)

	const id = "kill-leader"
	c.submit(id)
	waitFor(t, 30*time.Second, "a task done and w1 in another", func() bool {
		st := c.job(id)
		return held.Proxy.HeldReads() > 0 && len(st.Stages) > 0 && st.Stages[0].TasksDone > 0
	})
	// Hold w2 too: with every slot busy and nothing finishing, the job
	// stays mid-stage (no speculative copy either) until the failover.
	free.Proxy.Hold()
	var addrs []string
	for _, co := range c.Coords {
		addrs = append(addrs, co.GRPCAddr)
	}
	watch := c.start("jobs watch", nil, "jobs", "watch", id, "--coordinator", strings.Join(addrs, ","), "--timeout", "30s")
	waitFor(t, 10*time.Second, "the watch shows the job", func() bool { return strings.Contains(watch.Output(), "job "+id) })

	st := c.job(id)
	if !midJob(st) {
		t.Fatalf("job %s before the kill: got %s; want it running with tasks left", id, Progress(st))
	}
	t.Logf("SIGKILL leader %s (pid %d) at %s", old.ID, old.Proc().Pid(), Progress(st))
	killed := time.Now()
	old.Proc().Kill()
	next := c.leader(20*time.Second, old)
	failover := time.Since(killed)
	t.Logf("new leader %s serves the JobService %v after the kill (raft timeout %v)", next.ID, failover.Round(time.Millisecond), raftTimeout)
	held.Proxy.Release()
	free.Proxy.Release()

	st = c.waitJob(id, 60*time.Second)
	t.Logf("job ended: %s", Progress(st))
	if err := watch.Wait(30 * time.Second); err != nil {
		t.Fatalf("quarry jobs watch across the failover: %v\n%s", err, watch.Output())
	}
	c.checkExact(st)
}

// testWorkerAdded starts a job on one single-slot worker stuck in its first
// task, then adds a second worker: it receives and runs the job's other
// tasks (its partials appear in the store), and the job ends with
// RunLocal's bytes.
func testWorkerAdded(t *testing.T, in *Infra) {
	c := newCluster(t, in, "worker-added")
	first := c.startWorker("w1", 1)
	first.Proxy.Hold()
	c.waitWorkers("w1")

	const id = "add-worker"
	c.submit(id)
	waitFor(t, 30*time.Second, "w1 in a task", func() bool { return first.Proxy.HeldReads() > 0 })
	added := c.startWorker("w2", 1)
	waitFor(t, 30*time.Second, "w2 writes an attempt's partial", func() bool { return len(added.Proxy.Partials(id)) > 0 })
	t.Logf("w2 joined at %s", Progress(c.job(id)))
	first.Proxy.Release()

	st := c.waitJob(id, 60*time.Second)
	t.Logf("job ended: %s; w2 wrote %d partials", Progress(st), len(added.Proxy.Partials(id)))
	c.checkExact(st)
}

// testWorkerDrained runs `quarry worker --drain` against a worker in the
// middle of a task: it finishes that task, takes no other and leaves, no
// attempt fails, and the job ends with RunLocal's bytes.
func testWorkerDrained(t *testing.T, in *Infra) {
	c := newCluster(t, in, "worker-drained")
	leaving := c.startWorker("w1", 1)
	staying := c.startWorker("w2", 1)
	// Both workers stay in their first task until w1 is draining: with no
	// slot free the scheduler starts no speculative copy of w1's task.
	leaving.Proxy.Hold()
	staying.Proxy.Hold()
	c.waitWorkers("w1", "w2")

	const id = "drain-worker"
	c.submit(id)
	waitFor(t, 30*time.Second, "both workers in a task", func() bool {
		return leaving.Proxy.HeldReads() > 0 && staying.Proxy.HeldReads() > 0
	})
	drain := c.start("drain w1", nil, append([]string{"worker", "--drain", "--id", "w1", "--drain-timeout", "60s"}, c.EtcdArgs()...)...)
	waitFor(t, 20*time.Second, "w1 listed as draining", func() bool {
		w := c.workers()["w1"]
		return w != nil && w.Draining
	})
	t.Logf("w1 draining at %s", Progress(c.job(id)))
	leaving.Proxy.Release()
	staying.Proxy.Release()

	if err := drain.Wait(30 * time.Second); err != nil {
		t.Fatalf("quarry worker --drain: %v\n%s", err, drain.Output())
	}
	if err := leaving.Proc().Wait(10 * time.Second); err != nil {
		t.Fatalf("drained worker w1 exit: %v", err)
	}
	if out := leaving.Proc().Output(); !strings.Contains(out, "worker w1: left") {
		t.Errorf("w1 output: got %q; want it to say it left", out)
	}
	if got := leaving.Proxy.Partials(id); len(got) != 1 {
		t.Errorf("partials written by w1: got %q; want exactly the one of the task it ran when asked to drain", got)
	}
	st := c.waitJob(id, 60*time.Second)
	t.Logf("job ended: %s", Progress(st))
	for _, s := range st.Stages {
		if s.AttemptsFailed != 0 {
			t.Errorf("stage %s: got %d failed attempts; want 0", s.Name, s.AttemptsFailed)
		}
	}
	if ws := c.workers(); ws["w1"] != nil || ws["w2"] == nil {
		t.Errorf("workers after the drain: got %v; want w2 alone", ws)
	}
	c.checkExact(st)
}

// midJob reports whether a job runs with tasks left to do.
func midJob(st *quarryv1.JobStatus) bool {
	if st.State != quarryv1.JobState_JOB_STATE_RUNNING {
		return false
	}
	for _, s := range st.Stages {
		if s.TasksDone < s.TasksTotal || s.TasksTotal == 0 {
			return true
		}
	}
	return false
}
