package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker/registry"
)

// Peer is one replica of a statically configured raft group.
type Peer struct {
	// ID is the replica's raft server id; RaftAddr its raft address.
	ID       string
	RaftAddr string
}

// NodeConfig configures one coordinator process: its raft replica, the
// store it plans over, the etcd registry it watches and the addresses it
// serves.
type NodeConfig struct {
	// Raft configures the replica (ID, Dir, BindAddr, timings, policy).
	Raft Config
	// Peers, when set, is the whole group (this replica included), given
	// identically to every replica: the first start bootstraps it, a
	// restart resumes from the raft log. Empty means a single-node group.
	Peers []Peer
	// Bucket is the object store the jobs read and write.
	Bucket objstore.Bucket
	// Etcd and Prefix locate the worker registry (required).
	Etcd   *clientv3.Client
	Prefix string
	// GRPCAddr is where WorkerService, JobService and the standard health
	// service listen; HTTPAddr, when not empty, serves the HTTP/JSON job
	// API and the Prometheus metrics at /metrics. Port 0 picks a free
	// port. With HTTPAddr empty the metrics are still recorded but served
	// only by whoever serves Node.Metrics().Handler().
	GRPCAddr string
	HTTPAddr string
	// Metrics, when set, receives the node's metrics (a process running
	// several parts may share them); nil makes the node its own.
	Metrics *Metrics
	// GRPCOptions are extra gRPC server options.
	GRPCOptions []grpc.ServerOption
	// TLS, when set, serves gRPC, HTTP and raft over mutual TLS: clients,
	// workers and peers must present certificates signed by its CA. It
	// replaces Raft.TLS. Nil serves plain TCP (a loopback dev cluster).
	TLS *TLS
	// Tokens, when set, are the client tokens every JobService and
	// WorkerService call and every HTTP route but /healthz and /metrics
	// must present, with a role allowing it (docs/security.md). Nil turns
	// authentication off, which the node logs loudly.
	Tokens *Tokens
	// LeaderTTL is the lease of the leader's etcd publication (default 5 s).
	LeaderTTL time.Duration
	// JobRetention is how long a finished job stays in the replicated
	// state after it ended (0: for ever; `quarry coordinator` defaults to
	// DefaultJobRetention). Its results stay in the store.
	JobRetention time.Duration
	// Logger receives the node's logs (default slog.Default()).
	Logger *slog.Logger
}

// Node is a running coordinator process: raft replica, job driver,
// membership watch, leader and model-version publication, gRPC and HTTP
// servers. Every replica serves; only the leader schedules and answers
// the APIs, the others name the leader in their answers.
type Node struct {
	cfg    NodeConfig
	log    *slog.Logger
	store  *Store
	driver *Driver
	ws     *WorkerServer
	js     *JobServer
	health *health.Server
	grpc   *grpc.Server
	glis   net.Listener
	hlis   net.Listener
	mets   *Metrics

	stop    context.CancelFunc
	loops   sync.WaitGroup
	served  chan error // the gRPC server's Serve result
	httpErr chan error // ServeHTTPAPI's result

	mu     sync.Mutex
	leader registry.LeaderInfo // as published in etcd
}

// ServiceNames are the services whose health follows leadership:
// SERVING on the leader, NOT_SERVING on followers. The server as a whole
// ("") is SERVING while the process runs.
var ServiceNames = []string{quarryv1.WorkerService_ServiceDesc.ServiceName, quarryv1.JobService_ServiceDesc.ServiceName}

// StartNode opens the replica, bootstraps its group on first start, and
// starts serving. It does not wait for a leader: a replica of a group
// whose peers are not up yet serves "not the leader" until they are.
func StartNode(ctx context.Context, cfg NodeConfig) (n *Node, err error) {
	switch {
	case cfg.Bucket == nil:
		return nil, errors.New("coordinator node: no bucket")
	case cfg.Etcd == nil:
		return nil, errors.New("coordinator node: no etcd client")
	case cfg.Prefix == "":
		return nil, errors.New("coordinator node: empty registry prefix")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LeaderTTL <= 0 {
		cfg.LeaderTTL = 5 * time.Second
	}
	cfg.Raft.Logger = cfg.Logger
	if cfg.TLS != nil {
		if err := cfg.TLS.validate(); err != nil {
			return nil, err
		}
		cfg.Raft.TLS = cfg.TLS
	}
	n = &Node{cfg: cfg, log: cfg.Logger.With("component", "node", "id", cfg.Raft.ID)}
	// A failed start closes what it opened: the node is held here, since a
	// "return nil, err" has set n to nil by the time this runs.
	started := n
	defer func() {
		if err != nil {
			err = errors.Join(err, started.Close())
			n = nil
		}
	}()
	if n.store, err = Open(cfg.Raft); err != nil {
		return nil, err
	}
	if n.mets = cfg.Metrics; n.mets == nil {
		n.mets = NewMetrics()
	}
	n.store.SetMetrics(n.mets)
	if err = n.bootstrap(); err != nil {
		return nil, err
	}
	if n.glis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("coordinator node: grpc listen: %w", err)
	}
	if cfg.HTTPAddr != "" {
		if n.hlis, err = cfg.TLS.listen(cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("coordinator node: http listen: %w", err)
		}
	}

	n.driver = NewDriver(n.store, cfg.Bucket, 0)
	n.driver.SetJobRetention(cfg.JobRetention)
	n.ws = NewWorkerServer(n.store, 0)
	n.ws.LeaderAddr = n.leaderAddr
	n.js = NewJobServer(n.store, n.driver, cfg.Bucket)
	n.js.LeaderAddr = n.leaderAddr
	n.health = health.NewServer()
	opts := append(ServerOptions(), cfg.TLS.grpcOptions()...)
	opts = append(opts, AuthServerOptions(cfg.Tokens, cfg.Logger)...)
	n.grpc = grpc.NewServer(append(opts, cfg.GRPCOptions...)...)
	quarryv1.RegisterWorkerServiceServer(n.grpc, n.ws)
	quarryv1.RegisterJobServiceServer(n.grpc, n.js)
	healthpb.RegisterHealthServer(n.grpc, n.health)
	n.served = make(chan error, 1)
	go func() { n.served <- n.grpc.Serve(n.glis) }()

	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	n.stop = stop
	n.loops.Go(func() { n.driver.Run(run) })
	n.loops.Go(func() {
		if err := WatchMembership(run, n.store, cfg.Etcd, cfg.Prefix, 100*time.Millisecond); err != nil && run.Err() == nil {
			n.log.Error("membership watch", "err", err)
		}
	})
	n.loops.Go(func() {
		PublishLeadership(run, n.store, cfg.Etcd, cfg.Prefix, n.GRPCAddr(), cfg.LeaderTTL, 100*time.Millisecond)
	})
	n.loops.Go(func() { n.followLeader(run) })
	n.loops.Go(func() { PublishModels(run, n.store, cfg.Etcd, cfg.Prefix, 0) })
	n.loops.Go(func() { n.healthLoop(run) })
	n.loops.Go(func() { n.store.countLeaders(run, n.mets) })
	if n.hlis != nil {
		n.httpErr = make(chan error, 1)
		h := NewHTTPHandlerWith(NewJobAPI(n.driver, n.store), HTTPOptions{Logger: cfg.Logger, Tokens: cfg.Tokens, Metrics: n.mets.Handler()})
		go func() { n.httpErr <- ServeHTTPAPI(run, n.hlis, h) }()
	}
	if cfg.Tokens == nil {
		n.log.Warn("AUTHENTICATION IS OFF: any client reaching this coordinator may submit and cancel jobs and act as a worker; give a token file (--tokens-file) outside a loopback dev cluster")
	}
	n.log.Info("coordinator started", "grpc", n.GRPCAddr(), "http", n.HTTPAddr(), "raft", n.store.Addr(), "peers", len(cfg.Peers),
		"tls", cfg.TLS != nil, "tokens", cfg.Tokens)
	return n, nil
}

// bootstrap makes the replica's group on first start: the static peers, or
// this replica alone. Calling it on every replica with the same peers is
// safe (raft refuses a second bootstrap, which a restart also hits).
func (n *Node) bootstrap() error {
	if len(n.cfg.Peers) == 0 {
		return n.store.Bootstrap()
	}
	conf := raft.Configuration{}
	self := false
	for _, p := range n.cfg.Peers {
		if p.ID == "" || p.RaftAddr == "" {
			return fmt.Errorf("coordinator node: peer %q at %q: id and raft address are required", p.ID, p.RaftAddr)
		}
		self = self || p.ID == n.cfg.Raft.ID
		conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.RaftAddr)})
	}
	if !self {
		return fmt.Errorf("coordinator node: peers do not include this replica %q", n.cfg.Raft.ID)
	}
	err := n.store.raft.BootstrapCluster(conf).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("coordinator node: bootstrap: %w", err)
	}
	return nil
}

// followLeader keeps the leader's published gRPC address, for followers'
// answers.
func (n *Node) followLeader(ctx context.Context) {
	for info := range registry.WatchLeader(ctx, n.cfg.Etcd, n.cfg.Prefix) {
		n.mu.Lock()
		n.leader = info
		n.mu.Unlock()
	}
}

// leaderAddr returns the gRPC address of leader id, if it published one.
func (n *Node) leaderAddr(id string) string {
	if id == n.store.ID() {
		return n.GRPCAddr()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leader.ID == id {
		return n.leader.GRPCAddr
	}
	return ""
}

// healthLoop sets the services' health to follow leadership.
func (n *Node) healthLoop(ctx context.Context) {
	n.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	last := healthpb.HealthCheckResponse_UNKNOWN
	for {
		st := healthpb.HealthCheckResponse_NOT_SERVING
		if n.store.IsLeader() {
			st = healthpb.HealthCheckResponse_SERVING
		}
		if st != last {
			for _, s := range ServiceNames {
				n.health.SetServingStatus(s, st)
			}
			last = st
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Store returns the node's raft replica.
func (n *Node) Store() *Store { return n.store }

// Metrics returns the node's metrics.
func (n *Node) Metrics() *Metrics { return n.mets }

// Driver returns the node's job driver.
func (n *Node) Driver() *Driver { return n.driver }

// GRPCAddr returns the address the gRPC server listens on.
func (n *Node) GRPCAddr() string { return n.glis.Addr().String() }

// HTTPAddr returns the HTTP API's address, empty when it is off.
func (n *Node) HTTPAddr() string {
	if n.hlis == nil {
		return ""
	}
	return n.hlis.Addr().String()
}

// Close stops the node: the loops, the HTTP API, the gRPC server (open
// worker streams end with Unavailable) and the raft replica. A leader's
// workers find the next leader through etcd.
func (n *Node) Close() error {
	var errs []error
	if n.stop != nil {
		n.stop()
		n.loops.Wait()
	}
	if n.httpErr != nil {
		if err := <-n.httpErr; err != nil {
			errs = append(errs, err)
		}
	}
	if n.grpc != nil {
		n.health.Shutdown()
		n.ws.Stop()
		done := make(chan struct{})
		go func() { n.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			n.grpc.Stop()
			<-done
		}
		if err := <-n.served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errs = append(errs, fmt.Errorf("grpc server: %w", err))
		}
	} else {
		for _, l := range []net.Listener{n.glis, n.hlis} {
			if l != nil {
				l.Close()
			}
		}
	}
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
