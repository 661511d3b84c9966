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
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker"
	"github.com/quarrydata/quarry/worker/registry"
)

// etcdFlags locate the etcd cluster holding the worker registry.
type etcdFlags struct {
	endpoints string
	prefix    string
}

func (f *etcdFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoints, "etcd", envOr("QUARRY_ETCD", "127.0.0.1:2379"), "etcd endpoints, comma-separated (env QUARRY_ETCD)")
	fs.StringVar(&f.prefix, "prefix", envOr("QUARRY_PREFIX", devPrefix), "etcd key prefix of the cluster's registry (env QUARRY_PREFIX)")
}

// client connects to etcd; close it when done.
func (f *etcdFlags) client() (*clientv3.Client, error) {
	eps := splitList(f.endpoints)
	if len(eps) == 0 {
		return nil, usagef("--etcd: no endpoint")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", f.endpoints, err)
	}
	return cli, nil
}

// parsePeers parses "id=host:port,id=host:port".
func parsePeers(s string) ([]coordinator.Peer, error) {
	var peers []coordinator.Peer
	for _, p := range splitList(s) {
		id, addr, ok := strings.Cut(p, "=")
		if !ok || id == "" || addr == "" {
			return nil, usagef("--peers: %q is not id=host:port", p)
		}
		peers = append(peers, coordinator.Peer{ID: id, RaftAddr: addr})
	}
	return peers, nil
}

func newCoordinatorCmd() *cobra.Command {
	var (
		st       storeFlags
		ef       etcdFlags
		id       string
		raftAddr string
		grpcAddr string
		httpAddr string
		peers    string
		election time.Duration
		tf       tlsFlags
		tokens   serverTokenFlags
		sf       schedulerFlags
		keep     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "coordinator --id ID [--peers id=addr,...]",
		Short: "Run one coordinator replica (raft, scheduler, job and worker APIs)",
		Long: `Run one coordinator replica: its raft log and snapshots live in
DATA_DIR/raft, it schedules when it leads, and it serves the gRPC
WorkerService, JobService and health service on --grpc-addr and the
HTTP/JSON job API on --http-addr. Without --peers it is a one-node group;
with --peers (the same list on every replica, this one included) the first
start bootstraps the group and restarts resume it. Workers and clients find
the leader through etcd and through the followers' answers. SIGTERM or
SIGINT stops it gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usagef("--id is required")
			}
			if keep < 0 {
				return usagef("--job-retention %v: want 0 (for ever) or a positive duration", keep)
			}
			ps, err := parsePeers(peers)
			if err != nil {
				return err
			}
			tlsCfg, err := tf.coordinator()
			if err != nil {
				return err
			}
			toks, err := tokens.tokens()
			if err != nil {
				return err
			}
			cli, err := ef.client()
			if err != nil {
				return err
			}
			defer cli.Close()
			return st.run(cmd.Context(), func(b objstore.Bucket) error {
				cfg := coordinator.DefaultConfig()
				cfg.ID, cfg.Dir, cfg.BindAddr = id, filepath.Join(st.dataDir, "raft"), raftAddr
				sf.apply(&cfg.Scheduler)
				if election > 0 {
					cfg.HeartbeatTimeout, cfg.ElectionTimeout = election, election
					cfg.LeaderLeaseTimeout = election / 2
				}
				node, err := coordinator.StartNode(cmd.Context(), coordinator.NodeConfig{
					Raft: cfg, Peers: ps, Bucket: b, Etcd: cli, Prefix: ef.prefix,
					GRPCAddr: grpcAddr, HTTPAddr: httpAddr, Logger: slog.Default(), TLS: tlsCfg, Tokens: toks,
					JobRetention: keep,
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "coordinator %s: gRPC %s, HTTP %s, raft %s\n", id, node.GRPCAddr(), node.HTTPAddr(), node.Store().Addr())
				<-cmd.Context().Done()
				return node.Close()
			})
		},
	}
	fs := cmd.Flags()
	st.register(fs)
	ef.register(fs)
	fs.StringVar(&id, "id", envOr("QUARRY_ID", ""), "this replica's raft id, unique in the group (env QUARRY_ID)")
	fs.StringVar(&raftAddr, "raft-addr", envOr("QUARRY_RAFT_ADDR", "127.0.0.1:7702"), "raft address (env QUARRY_RAFT_ADDR)")
	fs.StringVar(&grpcAddr, "grpc-addr", envOr("QUARRY_GRPC_ADDR", "127.0.0.1:7701"), "gRPC address (env QUARRY_GRPC_ADDR)")
	fs.StringVar(&httpAddr, "http-addr", envOr("QUARRY_HTTP_ADDR", "127.0.0.1:7700"), "HTTP/JSON job API address, empty to disable (env QUARRY_HTTP_ADDR)")
	fs.StringVar(&peers, "peers", envOr("QUARRY_PEERS", ""), "the whole raft group as id=host:port,… (env QUARRY_PEERS); empty: a one-node group")
	fs.DurationVar(&election, "raft-timeout", 0, "raft heartbeat and election timeout (default 1s; shorter fails over faster on a quiet network)")
	tf.register(fs)
	tokens.register(fs)
	sf.register(fs)
	fs.DurationVar(&keep, "job-retention", coordinator.DefaultJobRetention, "how long a finished job's status stays after it ended; its results stay in the store (0: for ever)")
	return cmd
}

func newWorkerCmd() *cobra.Command {
	var (
		st      storeFlags
		ef      etcdFlags
		id      string
		slots   int
		ttl     time.Duration
		drain   bool
		timeout time.Duration
		metrics string
		tf      tlsFlags
		tok     tokenFlags
	)
	cmd := &cobra.Command{
		Use:   "worker [--id ID] [--drain]",
		Short: "Run a worker, or drain a running one",
		Long: `Run a worker: it registers in etcd under a lease (renewed while it lives),
finds the raft leader there, pulls tasks over gRPC, reads partitions from
the store and writes attempt-scoped partial results to it. SIGTERM or
SIGINT drains it: it takes no new task, finishes and reports the running
ones, and leaves. It serves its Prometheus metrics at
http://--metrics-addr/metrics (empty disables) until it has left.

With --drain it instead asks the running worker --id to drain, through
etcd, and waits until it has left.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usagef("--id is required")
			}
			tlsCfg, err := tf.client()
			if err != nil {
				return err
			}
			cli, err := ef.client()
			if err != nil {
				return err
			}
			defer cli.Close()
			ctx := cmd.Context()
			if drain {
				return drainWorker(ctx, cmd.OutOrStdout(), cli, ef.prefix, id, timeout)
			}
			return st.run(ctx, func(b objstore.Bucket) error {
				fmt.Fprintf(cmd.OutOrStdout(), "worker %s: %d slots, store %s, etcd %s\n", id, slots, st.location(), ef.endpoints)
				var m *worker.Metrics
				if metrics != "" {
					lis, err := net.Listen("tcp", metrics)
					if err != nil {
						return fmt.Errorf("worker metrics: listen on %s: %w", metrics, err)
					}
					m = worker.NewMetrics()
					// Served until the worker has left, drain included.
					mctx, stop := context.WithCancel(context.WithoutCancel(ctx))
					served := make(chan error, 1)
					go func() { served <- worker.ServeMetrics(mctx, lis, m) }()
					defer func() {
						stop()
						if err := <-served; err != nil {
							slog.Warn("worker metrics server", "err", err)
						}
					}()
					fmt.Fprintf(cmd.OutOrStdout(), "worker %s: metrics at http://%s/metrics\n", id, lis.Addr())
				}
				err := worker.Run(ctx, worker.Config{
					ID: id, Slots: slots, Bucket: b, Etcd: cli, Prefix: ef.prefix, LeaseTTL: ttl,
					Logger: slog.Default(), Version: version, Metrics: m, TLS: tlsCfg, Token: tok.value(),
				})
				if err != nil && !errors.Is(err, context.Canceled) {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "worker %s: left\n", id)
				return nil
			})
		},
	}
	host, _ := os.Hostname()
	fs := cmd.Flags()
	st.register(fs)
	ef.register(fs)
	fs.StringVar(&id, "id", envOr("QUARRY_WORKER_ID", host+"-"+strconv.Itoa(os.Getpid())), "worker id, unique in the cluster (env QUARRY_WORKER_ID)")
	fs.IntVar(&slots, "slots", runtime.GOMAXPROCS(0), "tasks run at once")
	machineDefault(fs, "id", "HOSTNAME-PID")
	machineDefault(fs, "slots", "the number of CPUs")
	fs.DurationVar(&ttl, "lease-ttl", 5*time.Second, "etcd lease of the registration: a worker silent this long is gone and its tasks rerun")
	fs.BoolVar(&drain, "drain", false, "ask the running worker --id to drain, wait until it left, and exit")
	fs.DurationVar(&timeout, "drain-timeout", 10*time.Minute, "how long --drain waits")
	metricsDefault := worker.DefaultMetricsAddr
	if v, ok := os.LookupEnv("QUARRY_METRICS_ADDR"); ok {
		metricsDefault = v // set but empty disables, like the flag
	}
	tf.register(fs)
	tok.register(fs)
	fs.StringVar(&metrics, "metrics-addr", metricsDefault, "where to serve Prometheus metrics at /metrics, empty to disable (env QUARRY_METRICS_ADDR)")
	return cmd
}

// drainWorker asks worker id to drain through etcd and waits, up to
// timeout, until it has finished its attempts and left.
func drainWorker(ctx context.Context, out io.Writer, cli *clientv3.Client, prefix, id string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := registry.RequestDrain(ctx, cli, prefix, id); err != nil {
		return fmt.Errorf("drain worker %s: %w", id, err)
	}
	fmt.Fprintf(out, "worker %s: draining\n", id)
	if err := registry.WaitGone(ctx, cli, prefix, id); err != nil {
		return fmt.Errorf("drain worker %s: %w", id, err)
	}
	fmt.Fprintf(out, "worker %s: left\n", id)
	return nil
}
