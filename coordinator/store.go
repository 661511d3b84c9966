package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Errors of the store.
var (
	// ErrNotLeader means the operation needs the raft leader; ask Leader().
	ErrNotLeader = errors.New("not the raft leader")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrNoLeader means no leader emerged in time.
	ErrNoLeader = errors.New("no raft leader")
)

// Store is one coordinator replica: a hashicorp/raft node whose log and
// stable store are a bolt file and whose snapshots are files, both in
// Config.Dir, driving an FSM. While it leads, it runs the scheduler.
type Store struct {
	cfg    Config
	log    *slog.Logger
	fsm    *FSM
	raft   *raft.Raft
	trans  *raft.NetworkTransport
	bolt   *raftboltdb.BoltStore
	notify chan bool
	kick   chan struct{}

	stop    context.CancelFunc
	done    sync.WaitGroup
	mu      sync.Mutex
	closed  bool
	leading *leaderRun // the running leader loop, if any

	// leadership is the channel leadershipChanged hands out, closed at the
	// next change of leadership; nil while no one asked.
	leadershipMu sync.Mutex
	leadership   chan struct{}

	stats   leaderStats
	metrics atomic.Pointer[Metrics] // nil: none (SetMetrics)
}

// Open starts a replica from cfg.Dir, restoring its latest snapshot and log.
// A new replica has no peers: Bootstrap one node, Join the others to it.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	logger := cfg.Logger.With("component", "coordinator", "node", cfg.ID)
	hl := newHCLogger(logger, "raft")
	s := &Store{
		cfg:    cfg,
		log:    logger,
		fsm:    NewFSM(),
		notify: make(chan bool, 8),
		kick:   make(chan struct{}, 1),
	}
	s.fsm.changed = s.poke

	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(cfg.Dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("open raft log: %w", err)
	}
	s.bolt = bolt
	logs, err := raft.NewLogCache(1024, bolt)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("open raft log cache: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, cfg.SnapshotRetain, hl)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("open snapshots: %w", err)
	}
	trans, err := newTransport(cfg, hl)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("open raft transport on %s: %w", cfg.BindAddr, err)
	}
	s.trans = trans

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.Logger = hl
	rc.NotifyCh = s.notify
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.CommitTimeout = cfg.CommitTimeout
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	r, err := raft.NewRaft(rc, s.fsm, logs, bolt, snaps, trans)
	if err != nil {
		trans.Close()
		bolt.Close()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	s.raft = r

	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		s.watchLeadership(ctx)
	}()
	return s, nil
}

// ID returns the replica's raft server id.
func (s *Store) ID() string { return s.cfg.ID }

// Addr returns the address the replica's raft transport listens on.
func (s *Store) Addr() string { return string(s.trans.LocalAddr()) }

// FSM returns the replica's state machine, for reads. On a follower reads
// may lag the leader by the entries not yet applied.
func (s *Store) FSM() *FSM { return s.fsm }

// Bootstrap makes this replica a one-node cluster. It does nothing when the
// replica already has state (a restart).
func (s *Store) Bootstrap() error {
	conf := raft.Configuration{Servers: []raft.Server{{ID: raft.ServerID(s.cfg.ID), Address: s.trans.LocalAddr()}}}
	err := s.raft.BootstrapCluster(conf).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrap %s: %w", s.cfg.ID, err)
	}
	return nil
}

// Join adds replica id at addr as a voter. Only the leader can; joining a
// replica already known with the same address is a no-op, and one known under
// another address is replaced.
func (s *Store) Join(id, addr string) error {
	if !s.IsLeader() {
		return fmt.Errorf("join %s: %w", id, ErrNotLeader)
	}
	cf := s.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return fmt.Errorf("join %s: %w", id, err)
	}
	for _, srv := range cf.Configuration().Servers {
		if srv.ID == raft.ServerID(id) && srv.Address == raft.ServerAddress(addr) {
			return nil
		}
		if srv.ID == raft.ServerID(id) || srv.Address == raft.ServerAddress(addr) {
			if err := s.raft.RemoveServer(srv.ID, 0, s.cfg.ApplyTimeout).Error(); err != nil {
				return fmt.Errorf("join %s: remove stale %s: %w", id, srv.ID, s.raftErr(err))
			}
		}
	}
	if err := s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, s.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("join %s: %w", id, s.raftErr(err))
	}
	return nil
}

// Remove takes replica id out of the cluster. Only the leader can.
func (s *Store) Remove(id string) error {
	if !s.IsLeader() {
		return fmt.Errorf("remove %s: %w", id, ErrNotLeader)
	}
	if err := s.raft.RemoveServer(raft.ServerID(id), 0, s.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("remove %s: %w", id, s.raftErr(err))
	}
	return nil
}

// Leader returns the current leader's id and raft address, empty if none is
// known.
func (s *Store) Leader() (id, addr string) {
	a, i := s.raft.LeaderWithID()
	return string(i), string(a)
}

// IsLeader reports whether this replica leads.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// WaitForLeader waits until some replica is known as leader and returns its
// id.
func (s *Store) WaitForLeader(ctx context.Context) (string, error) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if id, _ := s.Leader(); id != "" {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for leader: %w: %w", ErrNoLeader, ctx.Err())
		case <-t.C:
		}
	}
}

// Apply commits cmd through raft and returns the FSM's answer to it. It
// fails with ErrNotLeader on a follower: forward to Leader() instead.
func (s *Store) Apply(cmd Command) error {
	if _, ok := cmd.(Batch); ok {
		return fmt.Errorf("apply: %w: use ApplyBatch", ErrInvalidCommand)
	}
	resp, err := s.applyEntry(cmd)
	if err != nil {
		return err
	}
	if e, ok := resp.(error); ok {
		return e
	}
	return nil
}

// ApplyBatch commits cmds as one log entry and returns each one's outcome.
func (s *Store) ApplyBatch(cmds []Command) ([]error, error) {
	resp, err := s.applyEntry(Batch(cmds))
	if err != nil {
		return nil, err
	}
	switch r := resp.(type) {
	case []error:
		return r, nil
	case error:
		return nil, r
	}
	return nil, fmt.Errorf("apply batch: unexpected answer %T", resp)
}

func (s *Store) applyEntry(cmd Command) (any, error) {
	if !s.IsLeader() {
		return nil, fmt.Errorf("apply %T: %w", cmd, ErrNotLeader)
	}
	b, err := Encode(cmd)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	f := s.raft.Apply(b, s.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("apply %T: %w", cmd, s.raftErr(err))
	}
	s.metrics.Load().observeApply(cmd, time.Since(start))
	return f.Response(), nil
}

// raftErr maps raft's leadership errors onto ErrNotLeader, keeping raft's.
func (s *Store) raftErr(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

// Barrier waits until every entry committed before the call is applied to
// this replica's FSM. Only the leader can.
func (s *Store) Barrier() error {
	if err := s.raft.Barrier(s.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("barrier: %w", s.raftErr(err))
	}
	return nil
}

// Snapshot takes a raft snapshot now, which also compacts the log.
func (s *Store) Snapshot() error {
	if err := s.raft.Snapshot().Error(); err != nil {
		return fmt.Errorf("snapshot: %w", s.raftErr(err))
	}
	return nil
}

// Close stops the replica: a leader first hands leadership to a peer when it
// has one, then raft shuts down and the files are closed. Close is
// idempotent.
func (s *Store) Close() error { return s.shutdown(true) }

// shutdown stops the replica, handing leadership over first if graceful.
func (s *Store) shutdown(graceful bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	if graceful && s.IsLeader() && s.peers() > 1 {
		if err := s.raft.LeadershipTransfer().Error(); err != nil {
			s.log.Warn("leadership transfer before close failed", "err", err)
		}
	}
	s.stop()
	err := s.raft.Shutdown().Error()
	s.done.Wait()
	if e := s.trans.Close(); err == nil {
		err = e
	}
	if e := s.bolt.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("close store %s: %w", s.cfg.ID, err)
	}
	return nil
}

// peers returns the number of servers in the raft configuration.
func (s *Store) peers() int {
	cf := s.raft.GetConfiguration()
	if cf.Error() != nil {
		return 0
	}
	return len(cf.Configuration().Servers)
}

// leadershipChanged returns a channel closed at this replica's next gain or
// loss of leadership, or when it closes. Take it before asking IsLeader and
// wait on it after: a change in between is not missed, because raft updates
// its state before it notifies.
func (s *Store) leadershipChanged() <-chan struct{} {
	s.leadershipMu.Lock()
	defer s.leadershipMu.Unlock()
	if s.leadership == nil {
		s.leadership = make(chan struct{})
	}
	return s.leadership
}

// signalLeadership closes the channel leadershipChanged handed out.
func (s *Store) signalLeadership() {
	s.leadershipMu.Lock()
	defer s.leadershipMu.Unlock()
	if s.leadership != nil {
		close(s.leadership)
		s.leadership = nil
	}
}

// poke wakes the leader loop after an entry is applied; it never blocks.
func (s *Store) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
