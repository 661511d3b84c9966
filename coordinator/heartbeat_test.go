package coordinator_test

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// shortLeases gives attempts a lease of d and turns speculation off, so
// that every attempt beyond a task's first is a loss.
func shortLeases(d time.Duration) func(*coordinator.Config) {
	return func(c *coordinator.Config) {
		c.Scheduler.AttemptTimeout = d
		c.Scheduler.SpeculationMultiplier = 0
	}
}

// slowBucket makes every read of a dataset's objects (its partitions, not
// its manifest nor a job's partials) take at least delay: the tasks that
// read partitions outlast their lease.
type slowBucket struct {
	objstore.Bucket
	delay time.Duration
}

func (b slowBucket) wait(ctx context.Context, key string) error {
	if !strings.HasPrefix(key, dataset.Root) || !strings.Contains(key, "/objects/") {
		return nil
	}
	t := time.NewTimer(b.delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (b slowBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := b.wait(ctx, key); err != nil {
		return nil, err
	}
	return b.Bucket.Get(ctx, key)
}

func (b slowBucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := b.wait(ctx, key); err != nil {
		return nil, err
	}
	return b.Bucket.GetRange(ctx, key, off, length)
}

// TestHeartbeatsKeepLongTasksAlive runs tasks that last several leases:
// the workers' heartbeats renew them, so every task succeeds on its first
// attempt and the job equals RunLocal.
func TestHeartbeatsKeepLongTasksAlive(t *testing.T) {
	const lease = 300 * time.Millisecond
	c := startClusterWith(t, shortLeases(lease))
	slow := slowBucket{Bucket: c.bucket, delay: 3 * lease}
	c.startWorker(t, "w1", 2, slow, c.addr)
	c.startWorker(t, "w2", 2, slow, c.addr)
	c.waitWorkers(t, "w1", "w2")
	const id = "hb-long"
	submit(t, c, id)
	j := c.waitJob(t, id, 60*time.Second)
	checkSucceeded(t, j)
	longest := time.Duration(0)
	for _, st := range j.Stages {
		for ti, tk := range st.Tasks {
			if len(tk.Attempts) != 1 || tk.Winner != tk.Attempts[0].ID {
				t.Errorf("task %s/%d: got %d attempts (%s); want one, the winner", st.Name, ti, len(tk.Attempts), describe(tk.Attempts))
				continue
			}
			a := tk.Attempts[0]
			longest = max(longest, a.End.Sub(a.Start))
		}
	}
	if longest < 2*lease {
		t.Errorf("longest attempt: got %v; want at least two leases (%v) for the test to mean anything", longest, 2*lease)
	}
	sameResults(t, c.bucket, runLocal(t, id), id)
}

// describe lists attempts for failure messages.
func describe(as []*coordinator.Attempt) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Worker + ":" + a.State.String())
		if a.Reason != "" {
			b.WriteString("(" + a.Reason + ")")
		}
		b.WriteString(" ")
	}
	return b.String()
}

// pausedHeartbeats are dial options whose Heartbeat calls fail while
// paused is set, as if the worker's process were frozen for them.
func pausedHeartbeats(paused *atomic.Bool) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if method == quarryv1.WorkerService_Heartbeat_FullMethodName && paused.Load() {
				return status.Error(codes.Unavailable, "paused")
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
	}
}

// TestWorkerWithoutHeartbeatsLosesAttempts pauses the heartbeats of a
// worker stuck in its tasks: after a lease its attempts are lost (not
// failed) and retried on the other worker, and the job equals RunLocal.
func TestWorkerWithoutHeartbeatsLosesAttempts(t *testing.T) {
	const lease = 300 * time.Millisecond
	c := startClusterWith(t, shortLeases(lease))
	var paused atomic.Bool
	paused.Store(true)
	stuck := blockingBucket{Bucket: c.bucket, reads: make(chan string, 1)}
	c.startWorkerWith(t, worker.Config{ID: "w1", Slots: 2, Bucket: stuck, LeaderAddr: c.addr, DialOptions: pausedHeartbeats(&paused)})
	c.waitWorkers(t, "w1")
	const id = "hb-paused"
	submit(t, c, id)
	select {
	case <-stuck.reads:
	case <-time.After(30 * time.Second):
		t.Fatal("worker w1 got no task within 30s")
	}
	c.startWorker(t, "w2", 2, c.bucket, c.addr)
	j := c.waitJob(t, id, 60*time.Second)
	checkSucceeded(t, j)
	lost := 0
	for _, st := range j.Stages {
		for _, tk := range st.Tasks {
			for _, a := range tk.Attempts {
				switch {
				case a.State == scheduler.AttemptFailed:
					t.Errorf("attempt %d on %s: got failed (%s); want no counted failure", a.ID, a.Worker, a.Reason)
				case a.Worker == "w1" && a.State == scheduler.AttemptSucceeded:
					t.Errorf("attempt %d on w1: got succeeded; want w1 to win nothing", a.ID)
				case a.Worker == "w1" && a.State == scheduler.AttemptLost:
					lost++
					if !strings.Contains(a.Reason, "no heartbeat") {
						t.Errorf("attempt %d on w1: got reason %q; want a lease that no heartbeat renewed", a.ID, a.Reason)
					}
				}
			}
		}
	}
	if lost == 0 {
		t.Errorf("lost attempts of w1: got 0; want at least 1")
	}
	sameResults(t, c.bucket, runLocal(t, id), id)
}
