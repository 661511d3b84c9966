package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/internal/etcdembed"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/worker"
)

// devPrefix is the etcd registry prefix of the dev cluster.
const devPrefix = "/quarry"

// devFlags are the flags of quarry dev.
type devFlags struct {
	dataDir    string
	demo       bool
	exit       bool
	demoInput  string
	workers    int
	grpcAddr   string
	httpAddr   string
	raftAddr   string
	etcdClient string
	crmAddr    string
	crmDataset string
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

With --demo it first imports the sample log as dataset "retail" with an
import job (unless present), runs rules, sequences and segments jobs and a
model job bundling them, prints the top rules, the longest sequences, the
segment sizes and what to try next, and keeps serving (--exit: exits
instead).`,
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
	fs.BoolVar(&f.demo, "demo", false, "import the sample data, run the demo jobs and print their results, then serve")
	fs.BoolVar(&f.exit, "exit", false, "with --demo: exit after the demo instead of serving")
	fs.StringVar(&f.demoInput, "demo-input", filepath.Join("testdata", "online-retail-sample.csv.gz"), "CSV log the demo imports as dataset retail")
	fs.IntVar(&f.workers, "workers", 2, "number of workers")
	fs.StringVar(&f.grpcAddr, "grpc-addr", envOr("QUARRY_GRPC_ADDR", "127.0.0.1:7701"), "coordinator gRPC address, port 0: a free port (env QUARRY_GRPC_ADDR)")
	fs.StringVar(&f.httpAddr, "http-addr", envOr("QUARRY_HTTP_ADDR", "127.0.0.1:7700"), "HTTP/JSON job API address, port 0: a free port (env QUARRY_HTTP_ADDR)")
	fs.StringVar(&f.raftAddr, "raft-addr", envOr("QUARRY_RAFT_ADDR", "127.0.0.1:7702"), "coordinator raft address, port 0: a free port (env QUARRY_RAFT_ADDR)")
	fs.StringVar(&f.etcdClient, "etcd-client-addr", envOr("QUARRY_ETCD_CLIENT_ADDR", "127.0.0.1:2379"), "embedded etcd client address, 0: a free port (env QUARRY_ETCD_CLIENT_ADDR)")
	fs.StringVar(&f.crmAddr, "crm-addr", envOr("QUARRY_CRM_ADDR", "127.0.0.1:7800"), "CRM API address, port 0: a free port, empty: none (env QUARRY_CRM_ADDR)")
	fs.StringVar(&f.crmDataset, "crm-dataset", demoDataset, "dataset whose published model the CRM API serves")
	return cmd
}

// devCluster is everything quarry dev runs; close stops it in reverse
// order of start.
type devCluster struct {
	log     *slog.Logger
	etcd    *etcdembed.Server
	cli     *clientv3.Client
	node    *coordinator.Node
	store   *coordinator.Store
	driver  *coordinator.Driver
	bucket  *local.Bucket
	workers []*worker.Worker
	addr    string // the coordinator's gRPC address
	http    string // the HTTP API's address
	crm     string // the CRM API's address, empty when off

	crmServer *crmapi.Server
	crmToken  string // the dev admin token
	crmStop   context.CancelFunc
	crmServed chan error
}

// runDev starts the cluster, runs the demo or serves until ctx ends, and
// stops the cluster.
func runDev(ctx context.Context, out io.Writer, f devFlags) (err error) {
	c := &devCluster{log: slog.Default().With("component", "dev")}
	defer func() { err = errors.Join(err, c.close()) }()
	if err := c.start(ctx, f); err != nil {
		return err
	}
	fmt.Fprintf(out, "quarry dev: etcd %s, coordinator gRPC %s, HTTP http://%s, raft %s, %d workers, store %s\n",
		c.etcd.Endpoint(), c.addr, c.http, c.store.Addr(), len(c.workers), c.bucket.String())
	if c.crm != "" {
		fmt.Fprintf(out, "CRM API http://%s serves the published model of dataset %s; token (admin): %s\n", c.crm, f.crmDataset, c.crmToken)
	}
	if f.demo {
		if err := c.demo(ctx, out, f.demoInput); err != nil {
			return err
		}
		if f.exit {
			return nil
		}
	}
	c.tryNext(out)
	fmt.Fprintln(out, "serving; interrupt to stop")
	<-ctx.Done()
	return nil
}

// tryNext prints commands to try against the running cluster.
func (c *devCluster) tryNext(out io.Writer) {
	coord := ""
	if c.addr != "127.0.0.1:7701" {
		coord = " --coordinator " + c.addr
	}
	fmt.Fprintf(out, `
Try next, from another terminal:
  quarry jobs ls%[1]s
  quarry submit rules --dataset retail --min-support 0.02 --min-confidence 0.5 --watch%[1]s
  quarry submit segments --dataset retail --k 5 --seed 7 --watch%[1]s
  quarry workers ls%[1]s
  curl http://%[2]s/v1/jobs
`, coord, c.http)
	if c.crm != "" {
		fmt.Fprintf(out, "  curl -H 'Authorization: Bearer %s' http://%s/v1/segments\n", c.crmToken, c.crm)
	}
	fmt.Fprintln(out)
}

// start starts the parts in order: etcd, the bucket, the coordinator
// node (raft, gRPC, HTTP, driver) and the workers.
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
	if c.bucket, err = local.New(filepath.Join(f.dataDir, "quarry-data")); err != nil {
		return err
	}

	rcfg := coordinator.LocalConfig("dev", filepath.Join(f.dataDir, "raft"))
	rcfg.BindAddr = f.raftAddr
	c.node, err = coordinator.StartNode(ctx, coordinator.NodeConfig{
		Raft: rcfg, Bucket: c.bucket, Etcd: c.cli, Prefix: devPrefix,
		GRPCAddr: f.grpcAddr, HTTPAddr: f.httpAddr, Logger: slog.Default(),
	})
	if err != nil {
		return err
	}
	c.store, c.driver = c.node.Store(), c.node.Driver()
	c.addr, c.http = c.node.GRPCAddr(), c.node.HTTPAddr()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.store.WaitForLeader(wctx); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	// On a restart, apply the whole log before the demo reads jobs.
	if err := c.store.Barrier(); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}

	if f.crmAddr != "" {
		if err := c.startCRM(ctx, f); err != nil {
			return err
		}
	}
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

// startCRM serves the CRM API over the model of f.crmDataset, following
// the versions the coordinator publishes.
func (c *devCluster) startCRM(ctx context.Context, f devFlags) error {
	lis, err := net.Listen("tcp", f.crmAddr)
	if err != nil {
		return fmt.Errorf("crm api listen: %w", err)
	}
	token := os.Getenv("QUARRY_DEV_TOKEN")
	if token == "" {
		if token, err = crmapi.GenerateToken(); err != nil {
			lis.Close()
			return err
		}
	}
	cfg := crmapi.DefaultConfig()
	if cfg.Tokens, err = crmapi.AdminToken(token, "dev"); err != nil {
		lis.Close()
		return fmt.Errorf("QUARRY_DEV_TOKEN: %w", err)
	}
	s, err := crmapi.NewServer(cfg, slog.Default())
	if err != nil {
		lis.Close()
		return err
	}
	c.crmToken = token
	c.crm, c.crmServer = lis.Addr().String(), s
	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.crmStop, c.crmServed = stop, make(chan error, 1)
	go crmapi.Follow(run, s, c.bucket, c.cli, devPrefix, f.crmDataset)
	go func() { c.crmServed <- s.Serve(run, lis) }()
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
	if c.crmStop != nil {
		c.crmStop()
		if err := <-c.crmServed; err != nil {
			errs = append(errs, err)
		}
	}
	if c.node != nil {
		if err := c.node.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.bucket != nil {
		c.bucket.Close()
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
