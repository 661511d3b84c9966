package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
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
	demoInput  string
	workers    int
	grpcAddr   string
	httpAddr   string
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
	fs.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:7700", "HTTP/JSON job API address (port 0: a free port)")
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
	http    string     // the HTTP API's address
	httpErr chan error // the HTTP API's ServeHTTPAPI result
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
	hlis, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	c.http = hlis.Addr().String()
	c.httpErr = make(chan error, 1)
	api := coordinator.NewHTTPHandler(coordinator.NewJobAPI(c.driver, c.store), slog.Default())
	go func() { c.httpErr <- coordinator.ServeHTTPAPI(runCtx, hlis, api) }()
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
	if c.httpErr != nil {
		if err := <-c.httpErr; err != nil {
			errs = append(errs, err)
		}
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
