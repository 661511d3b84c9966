package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// Config configures one replica. Start from DefaultConfig and set ID and Dir.
type Config struct {
	// ID is the replica's raft server id, unique in its cluster.
	ID string
	// Dir holds the raft log (raft.db) and the snapshots.
	Dir string
	// BindAddr is the raft TCP address; port 0 picks a free one.
	BindAddr string
	// TLS, when set, carries raft traffic over mutual TLS; nil is plain
	// TCP.
	TLS *TLS
	// Logger receives the replica's and raft's logs.
	Logger *slog.Logger
	// ApplyTimeout bounds one raft operation (apply, barrier, membership).
	ApplyTimeout time.Duration
	// HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout and
	// CommitTimeout are passed to raft.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// SnapshotThreshold is how many new log entries trigger a snapshot,
	// checked every SnapshotInterval; SnapshotRetain snapshots are kept.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	SnapshotRetain    int
	// Scheduler is the scheduling policy the leader applies.
	Scheduler scheduler.Config
	// ScheduleInterval is the longest the leader waits between passes when
	// nothing happens.
	ScheduleInterval time.Duration
	// DisableScheduler keeps the leader from scheduling (tests, tools).
	DisableScheduler bool
	// Now is the clock the leader stamps its commands with; nil means
	// time.Now. The FSM itself never reads a clock.
	Now func() time.Time
}

// DefaultConfig returns a configuration with raft's default timings on
// 127.0.0.1:7702 and the default scheduling policy; ID and Dir are left to
// the caller.
func DefaultConfig() Config {
	return Config{
		BindAddr:           "127.0.0.1:7702",
		Logger:             slog.New(slog.DiscardHandler),
		ApplyTimeout:       10 * time.Second,
		HeartbeatTimeout:   time.Second,
		ElectionTimeout:    time.Second,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      50 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		SnapshotRetain:     2,
		Scheduler:          scheduler.DefaultConfig(),
		ScheduleInterval:   time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.ID == "":
		return errors.New("coordinator config: empty id")
	case c.Dir == "":
		return errors.New("coordinator config: empty dir")
	case c.BindAddr == "":
		return errors.New("coordinator config: empty bind address")
	case c.Logger == nil:
		return errors.New("coordinator config: nil logger")
	case c.ApplyTimeout <= 0 || c.HeartbeatTimeout <= 0 || c.ElectionTimeout <= 0 ||
		c.LeaderLeaseTimeout <= 0 || c.CommitTimeout <= 0 || c.SnapshotInterval <= 0:
		return errors.New("coordinator config: timeouts must be positive")
	case c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return errors.New("coordinator config: leader lease timeout above heartbeat timeout")
	case c.SnapshotRetain < 1:
		return errors.New("coordinator config: snapshot retain below 1")
	case c.ScheduleInterval <= 0:
		return errors.New("coordinator config: schedule interval must be positive")
	}
	if err := c.Scheduler.Validate(); err != nil {
		return fmt.Errorf("coordinator config: scheduler: %w", err)
	}
	return nil
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
