package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/worker"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestRegistersAgainAfterLeaseLoss revokes the worker's lease, as etcd
// does when the worker was cut off for longer than its TTL: the worker
// registers again under a new lease and keeps pulling tasks.
func TestRegistersAgainAfterLeaseLoss(t *testing.T) {
	f, addr := startFake(t)
	cli := etcdtest.Start(t)
	startWorkerWith(t, worker.Config{Slots: 1, Bucket: newBucket(t), LeaderAddr: addr, Etcd: cli, LeaseTTL: 2 * time.Second})
	<-f.pulls
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lease := func() clientv3.LeaseID {
		r, err := cli.Get(ctx, "/wt/workers/w1")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Kvs) == 0 {
			return 0
		}
		return clientv3.LeaseID(r.Kvs[0].Lease)
	}
	first := lease()
	if first == 0 {
		t.Fatal("worker not registered")
	}
	if _, err := cli.Revoke(ctx, first); err != nil {
		t.Fatal(err)
	}
	for {
		if l := lease(); l != 0 && l != first {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("worker not registered again under a new lease within 30 s (lease %x revoked)", first)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
