package coordinator_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker/registry"
)

// holdBucket holds every read until open is closed, and signals the first
// held read on held.
type holdBucket struct {
	objstore.Bucket
	open chan struct{}
	held chan struct{}
}

func (b holdBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	select {
	case b.held <- struct{}{}:
	default:
	}
	select {
	case <-b.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Bucket.Get(ctx, key)
}

func (b holdBucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if _, err := b.Get(ctx, key); err != nil {
		return nil, err
	}
	return b.Bucket.GetRange(ctx, key, off, length)
}

// slotsOf returns worker id's slots as the FSM has them, -1 when unknown.
func (c *testCluster) slotsOf(id string) int {
	for _, w := range c.store.FSM().Workers() {
		if w.ID == id {
			return w.Slots
		}
	}
	return -1
}

// TestDrainWorkerMidJob requests, through etcd, the drain of a worker
// that is running attempts: the leader stops assigning to it, it finishes
// and reports what it runs, leaves the registry, and the job ends with
// RunLocal's bytes without any attempt failed, lost or cancelled.
func TestDrainWorkerMidJob(t *testing.T) {
	c := startClusterWith(t, func(cfg *coordinator.Config) { cfg.Scheduler.SpeculationMultiplier = 0 })
	hold := holdBucket{Bucket: c.bucket, open: make(chan struct{}), held: make(chan struct{}, 1)}
	w1 := c.startWorker(t, "w1", 2, hold, c.addr)
	c.startWorker(t, "w2", 2, c.bucket, c.addr)
	c.waitWorkers(t, "w1", "w2")
	const id = "drain-mid-job"
	submit(t, c, id)
	select {
	case <-hold.held:
	case <-time.After(30 * time.Second):
		t.Fatal("worker w1 got no task within 30s")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if err := registry.RequestDrain(ctx, c.etcd, e2ePrefix, "w1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for c.slotsOf("w1") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("w1's slots in the FSM: got %d after 20s; want 0 (draining)", c.slotsOf("w1"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-w1.Done():
		t.Fatal("w1 left with attempts held; want it to finish them first")
	default:
	}
	close(hold.open)
	select {
	case <-w1.Done():
	case <-ctx.Done():
		t.Fatal("w1 not done within 45s of the drain request")
	}
	if err := registry.WaitGone(ctx, c.etcd, e2ePrefix, "w1"); err != nil {
		t.Fatal(err)
	}

	j := c.waitJob(t, id, 45*time.Second)
	checkSucceeded(t, j)
	ranOnW1 := 0
	for _, st := range j.Stages {
		for _, tk := range st.Tasks {
			for _, a := range tk.Attempts {
				if a.State != scheduler.AttemptSucceeded {
					t.Errorf("attempt %d on %s: got %s (%s); want every attempt to succeed", a.ID, a.Worker, a.State, a.Reason)
				}
				if a.Worker == "w1" {
					ranOnW1++
				}
			}
		}
	}
	if ranOnW1 == 0 {
		t.Error("attempts of w1: got none; want those it ran when drained")
	}
	sameResults(t, c.bucket, runLocal(t, id), id)
	waitCollected(t, c.bucket, id)
}
