package coordinator_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
	"google.golang.org/grpc"
)

// gatedBucket holds every read of a job object (an earlier stage's
// output) until open is closed, and signals the first one on blocked.
type gatedBucket struct {
	objstore.Bucket
	open    chan struct{}
	blocked chan struct{}
}

func (b gatedBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if strings.HasPrefix(key, jobs.Root) {
		select {
		case b.blocked <- struct{}{}:
		default:
		}
		select {
		case <-b.open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return b.Bucket.Get(ctx, key)
}

func (b gatedBucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if _, err := b.Get(ctx, key); err != nil {
		return nil, err
	}
	return b.Bucket.GetRange(ctx, key, off, length)
}

// startReplicaServices runs on store what a coordinator process runs: the
// WorkerService, the driver, the membership watch and the leader
// publication, all stopped when the test ends.
func startReplicaServices(t *testing.T, tc *testCluster, store *coordinator.Store) *coordinator.Driver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(coordinator.ServerOptions()...)
	ws := coordinator.NewWorkerServer(store, 0)
	quarryv1.RegisterWorkerServiceServer(srv, ws)
	ctx, stop := context.WithCancel(context.Background())
	drv := coordinator.NewDriver(store, tc.bucket, 0)
	done := make(chan struct{}, 4)
	go func() { srv.Serve(lis); done <- struct{}{} }()
	go func() { drv.Run(ctx); done <- struct{}{} }()
	go func() {
		coordinator.WatchMembership(ctx, store, tc.etcd, e2ePrefix, 50*time.Millisecond)
		done <- struct{}{}
	}()
	go func() {
		coordinator.PublishLeadership(ctx, store, tc.etcd, e2ePrefix, lis.Addr().String(), 2*time.Second, 20*time.Millisecond)
		done <- struct{}{}
	}()
	t.Cleanup(func() {
		stop()
		ws.Stop()
		srv.GracefulStop()
		for range 4 {
			<-done
		}
	})
	return drv
}

// leaderOf returns the store that leads among stores, polling up to 20 s.
func leaderOf(t *testing.T, stores []*coordinator.Store) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for i, s := range stores {
			if s.IsLeader() {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader after 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEndToEndLeaderFailover closes the leader of a 3-replica coordinator
// while a task is in flight: the workers follow the new leader through
// etcd, the in-flight report reaches it, its driver plans the remaining
// stages, and the job ends with RunLocal's bytes.
func TestEndToEndLeaderFailover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli := etcdtest.Start(t)
	stores, err := coordinator.LocalCluster(ctx, t.TempDir(), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		t.Cleanup(func() { s.Close() })
	}
	tc := &testCluster{bucket: newBucket(t), etcd: cli}
	drivers := make([]*coordinator.Driver, len(stores))
	for i, s := range stores {
		drivers[i] = startReplicaServices(t, tc, s)
	}
	gate := gatedBucket{Bucket: tc.bucket, open: make(chan struct{}), blocked: make(chan struct{}, 1)}
	tc.startWorker(t, "w1", 2, gate, "")
	tc.startWorker(t, "w2", 2, gate, "")
	old := leaderOf(t, stores)
	tc.store = stores[old]
	tc.waitWorkers(t, "w1", "w2")

	const id = "e2e-failover"
	if err := drivers[old].Submit(ctx, id, []byte(e2eSpec), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gate.blocked:
	case <-ctx.Done():
		t.Fatal("no task read an earlier stage's output within 30s")
	}
	if j, _ := stores[old].FSM().Job(id); j == nil || j.State.Terminal() {
		t.Fatalf("job before failover: got %+v; want running", j)
	}
	if err := stores[old].Close(); err != nil {
		t.Fatal(err)
	}
	close(gate.open)
	rest := append(append([]*coordinator.Store(nil), stores[:old]...), stores[old+1:]...)
	tc.store = rest[leaderOf(t, rest)]
	j := tc.waitJob(t, id, 45*time.Second)
	checkSucceeded(t, j)
	sameResults(t, tc.bucket, runLocal(t, id), id)
}
