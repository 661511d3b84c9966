package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/internal/etcdembed"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/split"
	"github.com/quarrydata/quarry/worker"
)

// devPrefix is the etcd registry prefix of the dev cluster.
const devPrefix = "/quarry"

// devFlags are the flags of quarry dev.
type devFlags struct {
	dataDir    string
	demo       bool
	demoInput  string
	workers    int
	grpcAddr   string
	raftAddr   string
	etcdClient string
}

func newDevCmd() *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev [--data-dir D] [--demo]",
		Short: "Run a whole cluster in one process on loopback",
		Long: `Run a whole Quarry cluster in one process on loopback: embedded etcd (data
in D/etcd), a single-node raft coordinator (D/raft; bootstrapped on first
start, resumed after), the local-folder store D/quarry-data, the
coordinator's gRPC WorkerService and N workers talking to it over gRPC.
It serves until interrupted.

With --demo it imports the sample log as dataset "retail" (unless present),
runs an itemsets+rules job and a segments job, prints the top rules and the
segment sizes, and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.workers < 1 {
				return usagef("--workers must be at least 1")
			}
			return runDev(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.dataDir, "data-dir", envOr("QUARRY_DATA_DIR", "."), "data folder: etcd, raft and quarry-data live under it (env QUARRY_DATA_DIR)")
	fs.BoolVar(&f.demo, "demo", false, "import the sample data, run the demo jobs, print their results and exit")
	fs.StringVar(&f.demoInput, "demo-input", filepath.Join("testdata", "online-retail-sample.csv.gz"), "CSV log the demo imports as dataset retail")
	fs.IntVar(&f.workers, "workers", 2, "number of workers")
	fs.StringVar(&f.grpcAddr, "grpc-addr", "127.0.0.1:7701", "coordinator gRPC address (port 0: a free port)")
	fs.StringVar(&f.raftAddr, "raft-addr", "127.0.0.1:7702", "coordinator raft address (port 0: a free port)")
	fs.StringVar(&f.etcdClient, "etcd-client-addr", "127.0.0.1:2379", "embedded etcd client address (0: a free port)")
	return cmd
}

// devCluster is everything quarry dev runs; close stops it in reverse
// order of start.
type devCluster struct {
	log     *slog.Logger
	etcd    *etcdembed.Server
	cli     *clientv3.Client
	store   *coordinator.Store
	bucket  *local.Bucket
	srv     *grpc.Server
	ws      *coordinator.WorkerServer
	served  chan struct{}
	driver  *coordinator.Driver
	stop    context.CancelFunc
	loops   sync.WaitGroup // driver, membership watch, leader publisher
	workers []*worker.Worker
	addr    string
}

// runDev starts the cluster, runs the demo or serves until ctx ends, and
// stops the cluster.
func runDev(ctx context.Context, out io.Writer, f devFlags) (err error) {
	c := &devCluster{log: slog.Default().With("component", "dev")}
	defer func() { err = errors.Join(err, c.close()) }()
	if err := c.start(ctx, f); err != nil {
		return err
	}
	fmt.Fprintf(out, "quarry dev: etcd %s, coordinator gRPC %s, raft %s, %d workers, store %s\n",
		c.etcd.Endpoint(), c.addr, c.store.Addr(), len(c.workers), c.bucket.String())
	if !f.demo {
		fmt.Fprintln(out, "serving; interrupt to stop")
		<-ctx.Done()
		return nil
	}
	return c.demo(ctx, out, f.demoInput)
}

// start starts the parts in order: etcd, the raft store, the bucket, the
// gRPC server, the leader's loops and the workers.
func (c *devCluster) start(ctx context.Context, f devFlags) error {
	ecfg := etcdembed.DefaultConfig()
	ecfg.Dir = filepath.Join(f.dataDir, "etcd")
	ecfg.ClientAddr = f.etcdClient
	ecfg.Logger = slog.Default()
	e, err := etcdembed.Start(ctx, ecfg)
	if err != nil {
		return err
	}
	c.etcd = e
	if c.cli, err = e.Client(); err != nil {
		return err
	}

	rcfg := coordinator.LocalConfig("dev", filepath.Join(f.dataDir, "raft"))
	rcfg.BindAddr = f.raftAddr
	rcfg.Logger = slog.Default()
	if c.store, err = coordinator.Open(rcfg); err != nil {
		return err
	}
	if err := c.store.Bootstrap(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.store.WaitForLeader(wctx); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	// On a restart, apply the whole log before the driver reads jobs.
	if err := c.store.Barrier(); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}

	if c.bucket, err = local.New(filepath.Join(f.dataDir, "quarry-data")); err != nil {
		return err
	}

	lis, err := net.Listen("tcp", f.grpcAddr)
	if err != nil {
		return fmt.Errorf("grpc listen: %w", err)
	}
	c.addr = lis.Addr().String()
	c.srv = grpc.NewServer(coordinator.ServerOptions()...)
	c.ws = coordinator.NewWorkerServer(c.store, 20*time.Millisecond)
	quarryv1.RegisterWorkerServiceServer(c.srv, c.ws)
	c.served = make(chan struct{})
	go func() {
		defer close(c.served)
		if err := c.srv.Serve(lis); err != nil {
			c.log.Error("grpc server", "err", err)
		}
	}()

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.stop = stop
	c.driver = coordinator.NewDriver(c.store, c.bucket, 20*time.Millisecond)
	c.loops.Go(func() { c.driver.Run(runCtx) })
	c.loops.Go(func() {
		if err := coordinator.WatchMembership(runCtx, c.store, c.cli, devPrefix, 100*time.Millisecond); err != nil {
			c.log.Error("membership watch", "err", err)
		}
	})
	c.loops.Go(func() {
		coordinator.PublishLeadership(runCtx, c.store, c.cli, devPrefix, c.addr, 5*time.Second, 100*time.Millisecond)
	})

	for i := range f.workers {
		w, err := worker.Start(ctx, worker.Config{
			ID: "worker-" + strconv.Itoa(i+1), Slots: 2, Bucket: c.bucket, Etcd: c.cli, Prefix: devPrefix,
			LeaseTTL: 5 * time.Second, LeaderAddr: c.addr, Logger: slog.Default(), Version: version,
		})
		if err != nil {
			return err
		}
		c.workers = append(c.workers, w)
	}
	c.log.Info("cluster ready", "etcd", c.etcd.Endpoint(), "grpc", c.addr, "raft", c.store.Addr(), "workers", len(c.workers))
	return nil
}

// close stops whatever was started, in reverse order.
func (c *devCluster) close() error {
	var errs []error
	for _, w := range c.workers {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := w.Drain(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain %s: %w", w.ID(), err))
		}
		cancel()
	}
	if c.stop != nil {
		c.stop()
		c.loops.Wait()
	}
	if c.srv != nil {
		c.ws.Stop()
		c.srv.GracefulStop()
		<-c.served
	}
	if c.bucket != nil {
		c.bucket.Close()
	}
	if c.store != nil {
		if err := c.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.cli != nil {
		c.cli.Close()
	}
	if c.etcd != nil {
		c.etcd.Close()
	}
	c.log.Info("stopped")
	return errors.Join(errs...)
}

// demoDataset is the dataset the demo imports and mines.
const demoDataset = "retail"

// The demo jobs.
const (
	demoRulesSpec    = `{"type":"itemsets","dataset":"retail","itemsets":{"min_support":0.015,"max_size":3,"rules":{"min_confidence":0.6}}}`
	demoSegmentsSpec = `{"type":"segments","dataset":"retail","segments":{"k":4,"seed":1}}`
)

// demo imports the sample log unless present, runs the demo jobs on the
// cluster and prints their results.
func (c *devCluster) demo(ctx context.Context, out io.Writer, input string) error {
	if err := c.importDemo(ctx, out, input); err != nil {
		return err
	}
	stamp := strconv.FormatInt(time.Now().UnixMilli(), 10)
	rulesID, segID := "demo-rules-"+stamp, "demo-segments-"+stamp
	for _, j := range []struct{ id, spec string }{{rulesID, demoRulesSpec}, {segID, demoSegmentsSpec}} {
		if err := c.driver.Submit(ctx, j.id, []byte(j.spec), 0); err != nil {
			return fmt.Errorf("submit %s: %w", j.id, err)
		}
		fmt.Fprintf(out, "submitted job %s: %s\n", j.id, j.spec)
	}
	if err := c.waitJobs(ctx, out, rulesID, segID); err != nil {
		return err
	}
	if err := c.printRules(ctx, out, rulesID); err != nil {
		return err
	}
	if err := c.printSegments(ctx, out, segID); err != nil {
		return err
	}
	fmt.Fprintf(out, "results: %s and %s\n",
		filepath.Join(c.bucket.Dir(), jobs.ResultPrefix(rulesID)), filepath.Join(c.bucket.Dir(), jobs.ResultPrefix(segID)))
	return nil
}

// importDemo imports input as the demo dataset unless it exists.
func (c *devCluster) importDemo(ctx context.Context, out io.Writer, input string) error {
	m, err := dataset.LoadManifest(ctx, c.bucket, demoDataset, 0)
	if err == nil {
		fmt.Fprintf(out, "dataset %s v%d already present\n", m.Name, m.Version)
		return nil
	}
	if !errors.Is(err, dataset.ErrNotFound) {
		return err
	}
	abs, err := filepath.Abs(input)
	if err != nil {
		return fmt.Errorf("demo input: %w", err)
	}
	src, err := local.New(filepath.Dir(abs))
	if err != nil {
		return err
	}
	defer src.Close()
	so := dataset.SourceObject{Bucket: src, Key: filepath.Base(abs), URL: abs}
	in := inputFlags{cols: format.DefaultColumns(), cancelPrefix: "C"}
	header, err := split.Header(ctx, src, so.Key)
	if err != nil {
		return fmt.Errorf("demo input %s (see --demo-input): %w", abs, err)
	}
	spec := dataset.Spec{Format: format.FormatCSV, Partitions: 4, MaxLineBytes: 1 << 20, CancelPrefix: in.cancelPrefix,
		Columns: in.columnsFor(peekHeader(bufio.NewReader(bytes.NewReader(header)), format.FormatCSV.Comma()))}
	m, err = dataset.Import(ctx, c.bucket, demoDataset, []dataset.SourceObject{so}, dataset.Options{Spec: spec, Logger: slog.Default()})
	if err != nil {
		return err
	}
	return printImported(out, m)
}

// waitJobs polls the FSM until every job ends, printing each stage's
// progress as it advances; a job that does not succeed is an error.
func (c *devCluster) waitJobs(ctx context.Context, out io.Writer, ids ...string) error {
	last := map[string]string{}
	pending := len(ids)
	for pending > 0 {
		pending = 0
		for _, id := range ids {
			j, ok := c.store.FSM().Job(id)
			if !ok {
				return fmt.Errorf("job %s: not found", id)
			}
			line := progress(j)
			if line != last[id] {
				fmt.Fprintln(out, line)
				last[id] = line
			}
			if !j.State.Terminal() {
				pending++
			} else if j.State != scheduler.JobSucceeded {
				return fmt.Errorf("job %s %v: %s", id, j.State, j.Reason)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// progress describes job j's current stage.
func progress(j *coordinator.Job) string {
	if j.State.Terminal() {
		return fmt.Sprintf("job %s: %v after %d stages", j.ID, j.State, len(j.Stages))
	}
	if len(j.Stages) == 0 {
		return fmt.Sprintf("job %s: %v", j.ID, j.State)
	}
	st := j.Stages[len(j.Stages)-1]
	done := 0
	for _, t := range st.Tasks {
		if t.Done {
			done++
		}
	}
	return fmt.Sprintf("job %s: stage %d %s: %d/%d tasks done", j.ID, len(j.Stages), st.Name, done, len(st.Tasks))
}

// demoRule is the part of a rules.jsonl line the demo prints.
type demoRule struct {
	Antecedent []string `json:"antecedent"`
	Consequent []string `json:"consequent"`
	Support    int      `json:"support"`
	Confidence float64  `json:"confidence"`
	Lift       float64  `json:"lift"`
}

// printRules prints the five rules of job id with the highest lift (the
// first in file order among equals), keeping only those in memory.
func (c *devCluster) printRules(ctx context.Context, out io.Writer, id string) error {
	rc, m, err := c.resultObject(ctx, id, "rules.jsonl")
	if err != nil {
		return err
	}
	defer rc.Close()
	var top []demoRule
	n := 0
	for dec := json.NewDecoder(rc); dec.More(); n++ {
		var r demoRule
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("job %s rules.jsonl: %w", id, err)
		}
		i := sort.Search(len(top), func(i int) bool { return top[i].Lift < r.Lift })
		top = slices.Insert(top, i, r)[:min(len(top)+1, 5)]
	}
	describe, err := c.describer(ctx, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d rules; top %d by lift:\n", n, len(top))
	for _, r := range top {
		fmt.Fprintf(out, "  {%s} => {%s}  support %d  confidence %.3f  lift %.2f\n",
			describe(r.Antecedent), describe(r.Consequent), r.Support, r.Confidence, r.Lift)
	}
	return nil
}

// describer returns a function listing items with their descriptions from
// the catalogue of the dataset version job m mined.
func (c *devCluster) describer(ctx context.Context, m *jobs.ResultManifest) (func([]string) string, error) {
	d, err := dataset.Open(ctx, c.bucket, m.Dataset, m.Version)
	if err != nil {
		return nil, err
	}
	items, err := d.Items(ctx)
	if err != nil {
		return nil, err
	}
	desc := make(map[string]string, len(items))
	for _, it := range items {
		desc[it.Name] = it.Description
	}
	return func(names []string) string {
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = strings.TrimSpace(n + " " + desc[n])
		}
		return strings.Join(parts, ", ")
	}, nil
}

// printSegments prints the segment sizes of job id.
func (c *devCluster) printSegments(ctx context.Context, out io.Writer, id string) error {
	rc, _, err := c.resultObject(ctx, id, "segments.json")
	if err != nil {
		return err
	}
	defer rc.Close()
	var s jobs.SegmentsJSON
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return fmt.Errorf("job %s segments.json: %w", id, err)
	}
	fmt.Fprintf(out, "%d segments:\n", len(s.Segments))
	for _, seg := range s.Segments {
		fmt.Fprintf(out, "  segment %d: %d customers (%.1f%%)\n", seg.Segment, seg.Size, 100*seg.Share)
	}
	return nil
}

// resultObject opens result object name of job id, found through the
// job's result manifest.
func (c *devCluster) resultObject(ctx context.Context, id, name string) (io.ReadCloser, *jobs.ResultManifest, error) {
	m, err := jobs.LoadResult(ctx, c.bucket, id)
	if err != nil {
		return nil, nil, err
	}
	o, ok := m.Object(name)
	if !ok {
		return nil, nil, fmt.Errorf("job %s: no result %s", id, name)
	}
	rc, err := c.bucket.Get(ctx, o.Key)
	return rc, m, err
}
