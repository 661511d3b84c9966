package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/bearer"
	"github.com/quarrydata/quarry/internal/wait"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker/registry"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// Config configures a worker.
type Config struct {
	// ID names the worker in the cluster (required).
	ID string
	// Slots is how many attempts run at once (default 1).
	Slots int
	// Bucket is the object store tasks read and write (required).
	Bucket objstore.Bucket
	// Etcd and Prefix locate the registry (required).
	Etcd   *clientv3.Client
	Prefix string
	// LeaseTTL is the registration's lease (default 5 s).
	LeaseTTL time.Duration
	// LeaderAddr is the coordinator's gRPC address; empty follows the
	// leader published in the registry.
	LeaderAddr string
	// Backoff is the first delay before reconnecting (default 50 ms); it
	// doubles up to 2 s while connections fail.
	Backoff time.Duration
	// DialOptions are the gRPC dial options (default: TLS with the TLS
	// configuration, else an insecure transport; the Token; and a
	// keepalive ping every 10 s, so a dead leader's stream ends and the
	// worker reconnects; the server must allow it, see
	// coordinator.ServerOptions). Given, they replace TLS and Token.
	DialOptions []grpc.DialOption
	// TLS, when set, dials the coordinators over mutual TLS: it presents
	// the worker's certificate and verifies theirs (certs.Files.Client).
	TLS *tls.Config
	// Token, when set, is the bearer token (role worker) sent on every
	// call; the coordinators need it when they check tokens.
	Token string
	// Logger logs connection changes and task failures (default: none).
	Logger *slog.Logger
	// Version is the build version published in the registry.
	Version string
	// HeartbeatInterval is how often the worker renews the leases of its
	// running attempts (Heartbeat). The default is a third of the
	// shortest lease among them (TaskAssignment.lease), at least 50 ms.
	HeartbeatInterval time.Duration
	// DrainAckTimeout bounds how long a draining worker that runs nothing
	// waits for the leader to confirm it assigns it nothing more (DRAINED)
	// before leaving anyway (default 10 s). Attempts the leader assigned
	// meanwhile are then lost, which does not count against their tasks.
	DrainAckTimeout time.Duration
	// Metrics, when set, receives the worker's metrics (NewMetrics); nil
	// records none. Serve them with ServeMetrics.
	Metrics *Metrics
}

// ErrConfig is wrapped by the errors of an invalid Config.
var ErrConfig = errors.New("invalid worker config")

func (c *Config) withDefaults() error {
	switch {
	case c.ID == "":
		return fmt.Errorf("%w: no id", ErrConfig)
	case c.Bucket == nil:
		return fmt.Errorf("%w: no bucket", ErrConfig)
	case c.Etcd == nil:
		return fmt.Errorf("%w: no etcd client", ErrConfig)
	}
	if c.Slots < 1 {
		c.Slots = 1
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 5 * time.Second
	}
	if c.Backoff <= 0 {
		c.Backoff = 50 * time.Millisecond
	}
	if c.DrainAckTimeout <= 0 {
		c.DrainAckTimeout = 10 * time.Second
	}
	if c.DialOptions == nil {
		creds := insecure.NewCredentials()
		if c.TLS != nil {
			creds = credentials.NewTLS(c.TLS)
		}
		c.DialOptions = []grpc.DialOption{
			grpc.WithTransportCredentials(creds),
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}),
		}
		if c.Token != "" {
			c.DialOptions = append(c.DialOptions, grpc.WithPerRPCCredentials(bearer.Token(c.Token)))
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// maxBackoff caps the reconnection delay.
const maxBackoff = 2 * time.Second

// Worker is a running worker: registered in etcd, pulling assignments from
// the leader, running them with jobs.RunTask and renewing their leases
// with heartbeats, until it drains (on Drain, or on a drain request in
// etcd) or stops.
type Worker struct {
	cfg Config
	log *slog.Logger
	reg *registry.Registration

	stopPull  context.CancelFunc // ends the pull loop
	stopBG    context.CancelFunc // ends the heartbeats, the leader and drain watches
	stopTasks context.CancelFunc // cancels the running tasks
	taskCtx   context.Context
	loop      sync.WaitGroup // the pull loop
	bg        sync.WaitGroup // the background loops stopped by stopBG
	tasks     sync.WaitGroup
	sem       chan struct{}

	shutOnce sync.Once
	done     chan struct{} // closed once drained or stopped
	shutErr  error         // written before done is closed

	mu       sync.Mutex
	leader   string
	conns    map[string]*grpc.ClientConn
	running  map[uint64]*attempt
	changed  chan struct{} // closed when running or the drain changes; see changedLocked
	draining bool          // draining: DRAINED counts from now on
	acked    bool          // the leader confirmed it assigns nothing more
	leaving  bool          // drained: start no attempt any more
	closed   bool
}

// Run starts a worker and runs it until ctx ends, then drains it: running
// tasks finish and report, and the registration is closed. It also returns
// once the worker drained because a drain was requested in etcd
// (registry.RequestDrain).
func Run(ctx context.Context, cfg Config) error {
	w, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-w.Done():
	}
	return w.Drain(context.WithoutCancel(ctx))
}

// Start registers the worker with a lease and starts its task loop, its
// heartbeats and the watch of its drain key. ctx bounds the registration
// only; stop the worker with Drain or Stop, or request a drain in etcd.
func Start(ctx context.Context, cfg Config) (*Worker, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	info := registry.WorkerInfo{ID: cfg.ID, Slots: cfg.Slots, FreeSlots: cfg.Slots, Version: cfg.Version, StartedAt: time.Now()}
	reg, err := registry.Register(ctx, cfg.Etcd, cfg.Prefix, info, cfg.LeaseTTL)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "worker", "worker", cfg.ID),
		reg:     reg,
		sem:     make(chan struct{}, cfg.Slots),
		done:    make(chan struct{}),
		leader:  cfg.LeaderAddr,
		conns:   map[string]*grpc.ClientConn{},
		running: map[uint64]*attempt{},
	}
	cfg.Metrics.started(cfg.Slots)
	pullCtx, stopPull := context.WithCancel(context.Background())
	w.stopPull = stopPull
	bgCtx, stopBG := context.WithCancel(context.Background())
	w.stopBG = stopBG
	w.taskCtx, w.stopTasks = context.WithCancel(context.Background())
	if cfg.LeaderAddr == "" {
		w.bg.Go(func() { w.followLeader(bgCtx) })
	}
	w.bg.Go(func() { w.heartbeatLoop(bgCtx) })
	w.bg.Go(func() { w.watchDrain(bgCtx) })
	w.bg.Go(func() { w.keepRegistered(bgCtx) })
	w.loop.Go(func() { w.pullLoop(pullCtx) })
	return w, nil
}

// ID returns the worker's id.
func (w *Worker) ID() string { return w.cfg.ID }

// Running returns how many attempts the worker is running.
func (w *Worker) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// followLeader keeps the leader's gRPC address from the registry.
func (w *Worker) followLeader(ctx context.Context) {
	for info := range registry.WatchLeader(ctx, w.cfg.Etcd, w.cfg.Prefix) {
		w.mu.Lock()
		w.leader = info.GRPCAddr
		w.mu.Unlock()
	}
}

// pullLoop connects to the leader, follows its assignment stream and
// reconnects with back-off whenever the stream ends, until ctx ends.
func (w *Worker) pullLoop(ctx context.Context) {
	backoff := w.cfg.Backoff
	for ctx.Err() == nil {
		client, err := w.connect()
		if err == nil {
			var got bool
			got, err = w.pull(ctx, client)
			if got {
				backoff = w.cfg.Backoff
			}
		}
		if ctx.Err() != nil {
			return
		}
		w.log.Debug("task stream ended; reconnecting", "err", err, "after", backoff)
		if !wait.Sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// connect returns a client of the current leader, reusing its connection.
// The pull loop, the reports and the heartbeats all go through it, so they
// follow the leader the registry publishes.
func (w *Worker) connect() (quarryv1.WorkerServiceClient, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.leader == "" {
		return nil, errors.New("no leader known")
	}
	if w.closed {
		return nil, errors.New("worker closed")
	}
	conn, ok := w.conns[w.leader]
	if !ok {
		var err error
		conn, err = grpc.NewClient(w.leader, w.cfg.DialOptions...)
		if err != nil {
			return nil, fmt.Errorf("dial leader %s: %w", w.leader, err)
		}
		w.conns[w.leader] = conn
	}
	return quarryv1.NewWorkerServiceClient(conn), nil
}

// pull follows one assignment stream until it ends; got reports whether it
// delivered anything.
func (w *Worker) pull(ctx context.Context, client quarryv1.WorkerServiceClient) (got bool, err error) {
	stream, err := client.PullTasks(ctx, &quarryv1.PullRequest{WorkerId: w.cfg.ID, FreeSlots: uint32(w.cfg.Slots), Version: w.cfg.Version})
	if err != nil {
		return false, err
	}
	for {
		a, err := stream.Recv()
		if err != nil {
			return got, err
		}
		got = true
		switch a.GetAction() {
		case quarryv1.Action_ACTION_RUN:
			w.start(a)
		case quarryv1.Action_ACTION_CANCEL:
			w.cancel(a.GetAttemptId())
		case quarryv1.Action_ACTION_DRAINED:
			w.drainAcknowledged()
		}
	}
}
