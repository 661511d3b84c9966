package worker_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker"
	"github.com/quarrydata/quarry/worker/registry"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// gated holds every read until open is closed.
type gated struct {
	objstore.Bucket
	open chan struct{}
}

func (b gated) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	select {
	case <-b.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Bucket.Get(ctx, key)
}

func (b gated) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if _, err := b.Get(ctx, key); err != nil {
		return nil, err
	}
	return b.Bucket.GetRange(ctx, key, off, length)
}

// waitDraining polls etcd until worker w1 is registered as draining.
func waitDraining(t *testing.T, cli *clientv3.Client) {
	t.Helper()
	eventually(t, "w1 registered as draining", func() bool {
		resp, err := cli.Get(context.Background(), "/wt/workers/w1")
		return err == nil && len(resp.Kvs) == 1 && strings.Contains(string(resp.Kvs[0].Value), `"draining":true`)
	})
}

var drained = &quarryv1.TaskAssignment{Action: quarryv1.Action_ACTION_DRAINED}

// closedWithin reports whether ch is closed within d.
func closedWithin(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// TestDrainWaitsForLeader drains a worker running an attempt: it publishes
// itself draining, still runs what the leader assigned before it knew,
// reports both attempts, and leaves only once the leader confirms.
func TestDrainWaitsForLeader(t *testing.T) {
	f, addr := startFake(t)
	cli := etcdtest.Start(t)
	gate := gated{Bucket: newBucket(t), open: make(chan struct{})}
	w := startWorkerWith(t, worker.Config{Slots: 2, Bucket: gate, LeaderAddr: addr, Etcd: cli, DrainAckTimeout: time.Minute})
	<-f.pulls
	f.assign <- runMsg(5, validSpec(t))
	eventually(t, "attempt 5 running", func() bool { return w.Running() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- w.Drain(ctx) }()
	waitDraining(t, cli)
	f.assign <- runMsg(6, validSpec(t)) // committed before the leader knew
	eventually(t, "attempt 6 running", func() bool { return w.Running() == 2 })
	close(gate.open)
	reported := map[uint64]bool{}
	for len(reported) < 2 {
		select {
		case r := <-f.reports:
			reported[r.GetAttemptId()] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("reports: got %v within 10s; want attempts 5 and 6", reported)
		}
	}
	if !reported[5] || !reported[6] {
		t.Fatalf("reports: got %v; want attempts 5 and 6", reported)
	}
	if closedWithin(w.Done(), 300*time.Millisecond) {
		t.Fatal("worker done before the leader confirmed the drain; want it waiting")
	}
	f.assign <- drained
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("drain: got %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("drain still running 10s after DRAINED")
	}
	if !closedWithin(w.Done(), time.Second) {
		t.Fatal("Done not closed after the drain")
	}
	if err := registry.WaitGone(ctx, cli, "/wt", "w1"); err != nil {
		t.Fatal(err)
	}
}

// TestDrainRequestedInEtcd requests a drain through the registry: the
// worker drains on its own and Done closes.
func TestDrainRequestedInEtcd(t *testing.T) {
	f, addr := startFake(t)
	cli := etcdtest.Start(t)
	w := startWorkerWith(t, worker.Config{Slots: 1, Bucket: newBucket(t), LeaderAddr: addr, Etcd: cli, DrainAckTimeout: time.Minute})
	<-f.pulls
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if closedWithin(w.Done(), 100*time.Millisecond) {
		t.Fatal("Done closed before any drain")
	}
	if err := registry.RequestDrain(ctx, cli, "/wt", "w1"); err != nil {
		t.Fatal(err)
	}
	waitDraining(t, cli)
	f.assign <- drained
	if !closedWithin(w.Done(), 10*time.Second) {
		t.Fatal("Done not closed within 10s of the drain request")
	}
	if err := registry.WaitGone(ctx, cli, "/wt", "w1"); err != nil {
		t.Fatal(err)
	}
	if err := w.Drain(ctx); err != nil {
		t.Fatalf("Drain after the drain: got %v; want nil", err)
	}
}

// TestRunReturnsOnDrainRequest runs a worker with Run: a drain request
// makes it return, here after the acknowledgement timeout, as against a
// leader that never confirms.
func TestRunReturnsOnDrainRequest(t *testing.T) {
	f, addr := startFake(t)
	cli := etcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	result := make(chan error, 1)
	go func() {
		result <- worker.Run(ctx, worker.Config{
			ID: "w1", Bucket: newBucket(t), Etcd: cli, Prefix: "/wt", LeaderAddr: addr,
			LeaseTTL: time.Second, DrainAckTimeout: 100 * time.Millisecond,
		})
	}()
	<-f.pulls
	if err := registry.RequestDrain(ctx, cli, "/wt", "w1"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("Run: got %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still running 10s after the drain request")
	}
}

// TestStopHurriesDrain stops a worker whose drain waits for a stuck
// attempt: the attempt is cancelled without a report.
func TestStopHurriesDrain(t *testing.T) {
	f, addr := startFake(t)
	w := startWorkerWith(t, worker.Config{Slots: 1, Bucket: blocking{newBucket(t)}, LeaderAddr: addr, DrainAckTimeout: time.Minute})
	<-f.pulls
	f.assign <- runMsg(7, validSpec(t))
	eventually(t, "attempt 7 running", func() bool { return w.Running() == 1 })
	result := make(chan error, 1)
	go func() { result <- w.Drain(context.Background()) }()
	if closedWithin(w.Done(), 200*time.Millisecond) {
		t.Fatal("drain ended with attempt 7 running; want it waiting")
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("drain: got %v; want nil", err)
	}
	select {
	case r := <-f.reports:
		t.Fatalf("report of a stopped attempt: got %v; want none", r)
	default:
	}
}
