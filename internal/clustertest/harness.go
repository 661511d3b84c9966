package clustertest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// Infra is what clusters share: one etcd and one MinIO. Each cluster gets
// its own etcd prefix and store prefix on them.
type Infra struct {
	Etcd  *etcdtest.Server
	MinIO *miniotest.Server
}

// StartInfra starts an embedded etcd and a MinIO server, both stopped when
// the test ends.
func StartInfra(t testing.TB) *Infra {
	t.Helper()
	return &Infra{Etcd: etcdtest.StartServer(t), MinIO: miniotest.Start(t)}
}

// Cluster is one Quarry cluster of real processes: coordinators over store
// prefix Name on MinIO and etcd prefix /Name, and workers. Its methods may
// be called from any goroutine; those that start processes return errors
// instead of failing the test.
type Cluster struct {
	// Name is the store prefix and the etcd prefix (with a leading /).
	Name string
	// Dir holds the processes' logs and the coordinators' data folders.
	Dir string
	// Bin is the quarry binary the processes run.
	Bin string
	// Infra is the etcd and MinIO the cluster uses.
	Infra *Infra
	// Store is the cluster's store as the test sees it.
	Store objstore.Bucket
	// Coords are the coordinators, once started.
	Coords []*Coordinator
	// LogTail, when positive, limits each child's log printed after a
	// failed test to its last LogTail bytes.
	LogTail int

	mu    sync.Mutex
	procs []*Process // every child started, for the log dump
	conns map[string]*grpc.ClientConn
}

// Coordinator is one coordinator replica: its addresses and data folder
// stay the same across restarts, its process changes.
type Coordinator struct {
	ID, RaftAddr, GRPCAddr, HTTPAddr string
	// DataDir is its --data-dir, kept across restarts.
	DataDir string
	member
}

// Worker is one worker process and the proxy it reaches MinIO through.
type Worker struct {
	ID          string
	MetricsAddr string
	Proxy       *StoreProxy
	member
}

// member is a process of the cluster that can be restarted with the same
// arguments.
type member struct {
	name string
	env  []string
	args []string

	mu     sync.Mutex
	proc   *Process
	starts int
}

// Proc returns the member's current process.
func (m *member) Proc() *Process {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

// Running reports whether the member's current process runs.
func (m *member) Running() bool {
	p := m.Proc()
	return p != nil && !p.Exited()
}

// NewCluster opens store prefix name on in's MinIO for a cluster of
// processes started from bin. Nothing runs yet. Every child is killed when
// the test ends, and its log is printed if the test failed.
func NewCluster(t testing.TB, in *Infra, bin, name string) *Cluster {
	t.Helper()
	c := &Cluster{Name: name, Dir: t.TempDir(), Bin: bin, Infra: in, conns: map[string]*grpc.ClientConn{}}
	t.Cleanup(func() {
		c.mu.Lock()
		procs := c.procs
		conns := c.conns
		c.conns = map[string]*grpc.ClientConn{}
		c.mu.Unlock()
		for _, p := range procs {
			p.Kill()
		}
		for _, cc := range conns {
			cc.Close()
		}
		if t.Failed() {
			for _, p := range procs {
				out := p.Output()
				if c.LogTail > 0 {
					out = p.Tail(c.LogTail)
				}
				t.Logf("--- log of %s (%s) ---\n%s", p.Name, p.LogPath, out)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := c.OpenStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Store = b
	return c
}

// OpenStore opens the cluster's store prefix on MinIO in the test process.
func (c *Cluster) OpenStore(ctx context.Context) (objstore.Bucket, error) {
	m := c.Infra.MinIO
	cfg := s3.DefaultConfig()
	cfg.Endpoint = m.URL()
	cfg.AccessKey, cfg.SecretKey = m.AccessKey, s3.Secret(m.SecretKey)
	cfg.Bucket, cfg.Prefix = m.Bucket, c.Name
	b, err := s3.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c.StoreURL(), err)
	}
	return b, nil
}

// StoreURL is the cluster's --store.
func (c *Cluster) StoreURL() string { return "s3://" + c.Infra.MinIO.Bucket + "/" + c.Name }

// EtcdArgs are the --etcd and --prefix flags of the cluster's processes.
func (c *Cluster) EtcdArgs() []string {
	return []string{"--etcd", c.Infra.Etcd.Endpoint(), "--prefix", "/" + c.Name}
}

// S3Env is the environment that points a process at MinIO through
// endpoint (a URL) with the root credentials.
func (c *Cluster) S3Env(endpoint string) []string {
	m := c.Infra.MinIO
	return []string{
		"AWS_ENDPOINT_URL_S3=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + m.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + m.SecretKey,
	}
}

// Start starts a quarry child process; the store and etcd flags are added
// to the coordinator and worker subcommands.
func (c *Cluster) Start(name string, env []string, args ...string) (*Process, error) {
	if args[0] == "coordinator" || args[0] == "worker" {
		args = append(args[:len(args):len(args)], "--store", c.StoreURL())
		args = append(args, c.EtcdArgs()...)
	}
	p, err := Start(name, c.Dir, c.Bin, env, args...)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p, nil
}

// StartCoordinators starts n coordinators forming one raft group, with
// --raft-timeout raftTimeout and env added to their environment (the
// MinIO credentials are always there).
func (c *Cluster) StartCoordinators(n int, raftTimeout time.Duration, env ...string) error {
	var peers []string
	// Every address at once: picked one coordinator at a time, a port
	// closed after its pick could come back for the next.
	all, err := testenv.FreeAddrs(3 * n)
	if err != nil {
		return err
	}
	for i := range n {
		a := all[3*i:]
		co := &Coordinator{ID: fmt.Sprintf("c%d", i), RaftAddr: a[0], GRPCAddr: a[1], HTTPAddr: a[2]}
		co.DataDir = filepath.Join(c.Dir, co.ID)
		c.Coords = append(c.Coords, co)
		peers = append(peers, co.ID+"="+co.RaftAddr)
	}
	for _, co := range c.Coords {
		co.name = "coordinator " + co.ID
		co.env = append(c.S3Env(c.Infra.MinIO.URL()), env...)
		co.args = []string{"coordinator", "--id", co.ID, "--peers", strings.Join(peers, ","),
			"--raft-addr", co.RaftAddr, "--grpc-addr", co.GRPCAddr, "--http-addr", co.HTTPAddr,
			"--data-dir", co.DataDir, "--raft-timeout", raftTimeout.String()}
		if err := c.restart(&co.member); err != nil {
			return err
		}
	}
	return nil
}

// StartWorker starts worker id with slots slots and etcd lease leaseTTL,
// reaching MinIO through a proxy of its own (closed when the test ends).
func (c *Cluster) StartWorker(t testing.TB, id string, slots int, leaseTTL time.Duration) (*Worker, error) {
	a, err := testenv.FreeAddrs(1)
	if err != nil {
		return nil, err
	}
	w := &Worker{ID: id, MetricsAddr: a[0], Proxy: NewStoreProxy(t, c.Infra.MinIO.URL())}
	w.name = "worker " + id
	w.env = c.S3Env(w.Proxy.URL())
	w.args = []string{"worker", "--id", id, "--slots", fmt.Sprint(slots), "--lease-ttl", leaseTTL.String(), "--metrics-addr", w.MetricsAddr}
	if err := c.restart(&w.member); err != nil {
		return nil, err
	}
	return w, nil
}

// RestartCoordinator starts co again with the same flags and data folder;
// its previous process must have exited.
func (c *Cluster) RestartCoordinator(co *Coordinator) error { return c.restart(&co.member) }

// RestartWorker starts w again with the same id, flags and proxy; its
// previous process must have exited.
func (c *Cluster) RestartWorker(w *Worker) error { return c.restart(&w.member) }

// restart starts m's process, the first time or again; each start logs
// to a file of its own.
func (c *Cluster) restart(m *member) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != nil && !m.proc.Exited() {
		return fmt.Errorf("restart %s: still running (pid %d)", m.name, m.proc.Pid())
	}
	name := m.name
	if m.starts > 0 {
		name = fmt.Sprintf("%s run %d", m.name, m.starts+1)
	}
	p, err := c.Start(name, m.env, m.args...)
	if err != nil {
		return err
	}
	m.proc = p
	m.starts++
	return nil
}
