package coordinator_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/worker"
	"github.com/quarrydata/quarry/worker/registry"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
)

// e2ePrefix is the registry prefix of the test clusters.
const e2ePrefix = "/quarry-e2e"

// testCluster is one coordinator (a 1-node raft group) serving
// WorkerService on loopback, with its driver and membership watch, over a
// local-folder store holding dataset "r".
type testCluster struct {
	store  *coordinator.Store
	driver *coordinator.Driver
	bucket objstore.Bucket
	etcd   *clientv3.Client
	addr   string
}

// newBucket returns a local-folder store with retail-sample.dat imported
// as dataset "r" in 4 partitions.
func newBucket(t *testing.T) objstore.Bucket {
	t.Helper()
	b, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	path := testenv.Path(t, "retail-sample.dat")
	src, err := local.New(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	spec := dataset.Spec{Format: format.FormatFIMI, Partitions: 4}
	_, err = dataset.Import(context.Background(), b, "r",
		[]dataset.SourceObject{{Bucket: src, Key: filepath.Base(path), URL: path}},
		dataset.Options{Spec: spec, Workers: 2})
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return b
}

// startCluster starts etcd, the coordinator, its gRPC server, driver and
// membership watch, and publishes the leader in the registry. Everything
// stops when the test ends.
func startCluster(t *testing.T) *testCluster {
	t.Helper()
	return startClusterWith(t, nil)
}

// startClusterWith is startCluster with configure, if not nil, adjusting
// the coordinator's configuration.
func startClusterWith(t *testing.T, configure func(*coordinator.Config)) *testCluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cli := etcdtest.Start(t)
	stores, err := coordinator.LocalCluster(ctx, t.TempDir(), 1, configure)
	if err != nil {
		t.Fatal(err)
	}
	store := stores[0]
	t.Cleanup(func() { store.Close() })
	c := &testCluster{store: store, bucket: newBucket(t), etcd: cli}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addr = lis.Addr().String()
	srv := grpc.NewServer(coordinator.ServerOptions()...)
	ws := coordinator.NewWorkerServer(store, 0)
	quarryv1.RegisterWorkerServiceServer(srv, ws)
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(lis)
	}()

	runCtx, stop := context.WithCancel(context.Background())
	c.driver = coordinator.NewDriver(store, c.bucket, 0)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		c.driver.Run(runCtx)
	}()
	watched := make(chan error, 1)
	go func() { watched <- coordinator.WatchMembership(runCtx, store, cli, e2ePrefix, 50*time.Millisecond) }()
	t.Cleanup(func() {
		stop()
		<-driven
		if err := <-watched; err != nil {
			t.Errorf("membership watch: %v", err)
		}
		ws.Stop()
		srv.GracefulStop()
		<-served
	})

	id, _ := store.Leader()
	pub, err := registry.PublishLeader(ctx, cli, e2ePrefix, registry.LeaderInfo{ID: id, GRPCAddr: c.addr, Term: 1}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close(context.Background()) })
	return c
}

// startWorker starts a worker of c over bucket b; an empty leader address
// makes it follow the published leader. The worker drains when the test
// ends unless stopped before.
func (c *testCluster) startWorker(t *testing.T, id string, slots int, b objstore.Bucket, leaderAddr string) *worker.Worker {
	t.Helper()
	return c.startWorkerWith(t, worker.Config{ID: id, Slots: slots, Bucket: b, LeaderAddr: leaderAddr})
}

// startWorkerWith starts a worker of c with cfg, whose registry, lease
// and back-off settings it fills in.
func (c *testCluster) startWorkerWith(t *testing.T, cfg worker.Config) *worker.Worker {
	t.Helper()
	cfg.Etcd, cfg.Prefix = c.etcd, e2ePrefix
	cfg.LeaseTTL, cfg.Backoff = 2*time.Second, 20*time.Millisecond
	w, err := worker.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.Drain(ctx); err != nil {
			t.Errorf("drain %s: %v", cfg.ID, err)
		}
	})
	return w
}

// waitJob polls the FSM until job id is finished or the deadline passes.
func (c *testCluster) waitJob(t *testing.T, id string, within time.Duration) *coordinator.Job {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if j, ok := c.store.FSM().Job(id); ok && j.State.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			j, _ := c.store.FSM().Job(id)
			t.Fatalf("job %s not finished after %v: %+v", id, within, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readAll reads object key of b.
func readAll(t *testing.T, b objstore.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sameResults checks that job id's result manifest and objects in got
// equal those in want byte for byte.
func sameResults(t *testing.T, got, want objstore.Bucket, id string) {
	t.Helper()
	mkey := jobs.ResultPrefix(id) + jobs.ResultManifestName
	if g, w := readAll(t, got, mkey), readAll(t, want, mkey); !bytes.Equal(g, w) {
		t.Fatalf("result manifest: got %s; want %s", g, w)
	}
	m, err := jobs.LoadResult(context.Background(), want, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Objects) == 0 {
		t.Fatalf("result objects: got none; want some")
	}
	for _, o := range m.Objects {
		g, w := readAll(t, got, o.Key), readAll(t, want, o.Key)
		if !bytes.Equal(g, w) {
			t.Errorf("result %s: got %d bytes differing from RunLocal's %d", o.Name, len(g), len(w))
		}
	}
}

// blockingBucket makes every read wait until its context ends: a worker
// over it is stuck in its tasks until they are cancelled.
type blockingBucket struct {
	objstore.Bucket
	reads chan string
}

func (b blockingBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	select {
	case b.reads <- key:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b blockingBucket) GetRange(ctx context.Context, key string, _, _ int64) (io.ReadCloser, error) {
	return b.Get(ctx, key)
}

// waitWorkers polls the FSM until it knows exactly the workers ids.
func (c *testCluster) waitWorkers(t *testing.T, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ws := c.store.FSM().Workers()
		have := map[string]bool{}
		for _, w := range ws {
			have[w.ID] = true
		}
		ok := len(ws) == len(ids)
		for _, id := range ids {
			ok = ok && have[id]
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers: got %+v; want %v", ws, ids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCollected polls until the only objects of job id in b are its
// results: the driver collected every partial.
func waitCollected(t *testing.T, b objstore.Bucket, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		keys, err := objstore.List(context.Background(), b, jobs.JobPrefix(id))
		if err != nil {
			t.Fatal(err)
		}
		var partials []string
		for _, k := range keys {
			if !strings.HasPrefix(k, jobs.ResultPrefix(id)) {
				partials = append(partials, k)
			}
		}
		if len(partials) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("partials of job %s: got %v; want none", id, partials)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
