package clustertest

import (
	"context"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// raftTimeout is the coordinators' --raft-timeout: short, for fast
// failover on quiet loopback.
const raftTimeout = 300 * time.Millisecond

// partitions is the number of partitions of the test dataset: enough tasks
// per stage for a worker to be caught in one while others run.
const partitions = 8

// cluster is one scenario's Cluster and the test its helpers fail.
type cluster struct {
	*Cluster
	t *testing.T
}

// newCluster imports the test dataset into store prefix name on MinIO and
// starts three coordinators over it. Every child is killed when the test
// ends, and every child's log is printed if it failed.
func newCluster(t *testing.T, in *Infra, name string) *cluster {
	t.Helper()
	c := &cluster{Cluster: NewCluster(t, in, quarryBin, name), t: t}
	importDataset(t, c.Store)
	if err := c.StartCoordinators(3, raftTimeout); err != nil {
		t.Fatal(err)
	}
	return c
}

// start starts a quarry child process; store and etcd flags are added to
// the coordinator and worker subcommands.
func (c *cluster) start(name string, env []string, args ...string) *Process {
	c.t.Helper()
	p, err := c.Start(name, env, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// startWorker starts worker id with slots slots and a 2 s lease, reaching
// MinIO through a proxy of its own.
func (c *cluster) startWorker(id string, slots int) *Worker {
	c.t.Helper()
	w, err := c.StartWorker(c.t, id, slots, 2*time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	return w
}

// importDataset imports testdata/retail-sample.dat into b as dataset "r".
func importDataset(t *testing.T, b objstore.Bucket) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := ImportFile(ctx, b, "r", testenv.Path(t, "retail-sample.dat"), dataset.Spec{Format: format.FormatFIMI, Partitions: partitions})
	if err != nil {
		t.Fatal(err)
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
