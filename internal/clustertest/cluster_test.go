package clustertest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// raftTimeout is the coordinators' --raft-timeout: short, for fast
// failover on quiet loopback.
const raftTimeout = 300 * time.Millisecond

// partitions is the number of partitions of the test dataset: enough tasks
// per stage for a worker to be caught in one while others run.
const partitions = 8

// infra is what every scenario shares: one etcd and one MinIO; each
// scenario gets its own etcd prefix and store prefix.
type infra struct {
	etcd  *etcdtest.Server
	minio *miniotest.Server
}

// cluster is one scenario's Quarry cluster: three coordinator processes
// over store prefix name on MinIO and etcd prefix /name, and its workers.
type cluster struct {
	t      *testing.T
	in     *infra
	name   string
	dir    string
	store  objstore.Bucket // the cluster's store, as the test sees it
	coords []*coordinator
	procs  []*Process // every child, for the log dump
}

// coordinator is one coordinator process and its addresses.
type coordinator struct {
	id, raftAddr, grpcAddr, httpAddr string
	proc                             *Process
}

// worker is one worker process and the proxy it reaches MinIO through.
type worker struct {
	id          string
	metricsAddr string
	proc        *Process
	proxy       *storeProxy
}

// newCluster imports the test dataset into store prefix name on MinIO and
// starts three coordinators over it. Every child is killed when the test
// ends, and every child's log is printed if it failed.
func newCluster(t *testing.T, in *infra, name string) *cluster {
	t.Helper()
	c := &cluster{t: t, in: in, name: name, dir: t.TempDir()}
	t.Cleanup(func() {
		for _, p := range c.procs {
			p.Kill()
		}
		if t.Failed() {
			for _, p := range c.procs {
				t.Logf("--- log of %s (%s) ---\n%s", p.Name, p.LogPath, p.Output())
			}
		}
	})
	c.store = c.bucket(t)
	importDataset(t, c.store)

	var peers []string
	for i := range 3 {
		co := &coordinator{id: fmt.Sprintf("c%d", i), raftAddr: freeAddr(t), grpcAddr: freeAddr(t), httpAddr: freeAddr(t)}
		c.coords = append(c.coords, co)
		peers = append(peers, co.id+"="+co.raftAddr)
	}
	for _, co := range c.coords {
		co.proc = c.start("coordinator "+co.id, c.s3Env(in.minio.URL()),
			"coordinator", "--id", co.id, "--peers", strings.Join(peers, ","),
			"--raft-addr", co.raftAddr, "--grpc-addr", co.grpcAddr, "--http-addr", co.httpAddr,
			"--data-dir", filepath.Join(c.dir, co.id), "--raft-timeout", raftTimeout.String())
	}
	return c
}

// storeURL is the cluster's --store.
func (c *cluster) storeURL() string { return "s3://" + c.in.minio.Bucket + "/" + c.name }

// etcdArgs are the --etcd and --prefix flags of the cluster's processes.
func (c *cluster) etcdArgs() []string {
	return []string{"--etcd", c.in.etcd.Endpoint(), "--prefix", "/" + c.name}
}

// s3Env is the environment that points a process at MinIO through
// endpoint with the root credentials.
func (c *cluster) s3Env(endpoint string) []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + c.in.minio.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + c.in.minio.SecretKey,
	}
}

// start starts a quarry child process; store and etcd flags are added to
// the coordinator and worker subcommands.
func (c *cluster) start(name string, env []string, args ...string) *Process {
	c.t.Helper()
	if args[0] == "coordinator" || args[0] == "worker" {
		args = append(args, "--store", c.storeURL())
		args = append(args, c.etcdArgs()...)
	}
	p, err := Start(name, c.dir, quarryBin, env, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.procs = append(c.procs, p)
	return p
}

// startWorker starts worker id with slots slots, reaching MinIO through a
// proxy of its own.
func (c *cluster) startWorker(id string, slots int) *worker {
	c.t.Helper()
	w := &worker{id: id, metricsAddr: freeAddr(c.t), proxy: newStoreProxy(c.t, c.in.minio.URL())}
	w.proc = c.start("worker "+id, c.s3Env(w.proxy.URL()),
		"worker", "--id", id, "--slots", fmt.Sprint(slots), "--lease-ttl", "2s", "--metrics-addr", w.metricsAddr)
	return w
}

// bucket opens the cluster's store prefix on MinIO in the test process.
func (c *cluster) bucket(t *testing.T) objstore.Bucket {
	t.Helper()
	cfg := s3.DefaultConfig()
	cfg.Endpoint = c.in.minio.URL()
	cfg.AccessKey, cfg.SecretKey = c.in.minio.AccessKey, s3.Secret(c.in.minio.SecretKey)
	cfg.Bucket, cfg.Prefix = c.in.minio.Bucket, c.name
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := s3.New(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", c.storeURL(), err)
	}
	return b
}

// importDataset imports testdata/retail-sample.dat into b as dataset "r".
func importDataset(t *testing.T, b objstore.Bucket) {
	t.Helper()
	path := testenv.Path(t, "retail-sample.dat")
	src, err := local.New(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = dataset.Import(ctx, b, "r",
		[]dataset.SourceObject{{Bucket: src, Key: filepath.Base(path), URL: path}},
		dataset.Options{Spec: dataset.Spec{Format: format.FormatFIMI, Partitions: partitions}, Workers: 2})
	if err != nil {
		t.Fatalf("import %s into %s: %v", path, b, err)
	}
}

// localReference returns a local-folder store holding the same import as
// the cluster's, for jobs.RunLocal.
func localReference(t *testing.T) objstore.Bucket {
	t.Helper()
	b, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	importDataset(t, b)
	return b
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
