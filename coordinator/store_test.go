package coordinator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// waitForResult polls cond until it holds, failing the test with cond's last
// explanation after timeout (Nomad's testutil.WaitForResult).
func waitForResult(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v: %s", timeout, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cluster starts n replicas in the test's temporary directory and closes
// them at the end.
func cluster(t *testing.T, n int, configure func(*Config)) []*Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stores, err := LocalCluster(ctx, t.TempDir(), n, configure)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range stores {
			s.Close()
		}
	})
	return stores
}

func noScheduler(c *Config) { c.DisableScheduler = true }

func leaderOfT(t *testing.T, stores []*Store) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := leaderOf(ctx, stores)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// hasJob waits until s's FSM knows job id.
func hasJob(t *testing.T, s *Store, id string) {
	t.Helper()
	waitForResult(t, 10*time.Second, func() (bool, string) {
		_, ok := s.FSM().Job(id)
		return ok, s.ID() + " does not have job " + id
	})
}

func TestClusterReplicates(t *testing.T) {
	stores := cluster(t, 3, noScheduler)
	leader := leaderOfT(t, stores)
	if err := leader.Apply(SubmitJob{ID: "j1", JobType: "itemsets", Time: t0}); err != nil {
		t.Fatal(err)
	}
	if err := leader.Apply(SubmitJob{ID: "j1", Time: t0}); !errors.Is(err, ErrJobExists) {
		t.Fatalf("duplicate through raft: got %v; want ErrJobExists", err)
	}
	for _, s := range stores {
		hasJob(t, s, "j1")
		if id, _ := s.Leader(); id != leader.ID() {
			t.Fatalf("%s: got leader %q; want %q", s.ID(), id, leader.ID())
		}
		if s == leader {
			continue
		}
		if err := s.Apply(SubmitJob{ID: "j2", Time: t0}); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("apply on follower %s: got %v; want ErrNotLeader", s.ID(), err)
		}
		if err := s.Join("x", "127.0.0.1:1"); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("join on follower %s: got %v; want ErrNotLeader", s.ID(), err)
		}
	}
	// Joining a known replica again is a no-op.
	for _, s := range stores {
		if err := leader.Join(s.ID(), s.Addr()); err != nil {
			t.Fatalf("rejoin %s: %v", s.ID(), err)
		}
	}
	if got := leader.peers(); got != 3 {
		t.Fatalf("peers: got %d; want 3", got)
	}
}

func TestLeaderFailoverAndRestart(t *testing.T) {
	stores := cluster(t, 3, noScheduler)
	old := leaderOfT(t, stores)
	if err := old.Apply(SubmitJob{ID: "before", Time: t0}); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		hasJob(t, s, "before")
	}
	cfg, addr := old.cfg, old.Addr()
	if err := old.shutdown(false); err != nil { // a crash: no hand-over
		t.Fatal(err)
	}
	var rest []*Store
	for _, s := range stores {
		if s != old {
			rest = append(rest, s)
		}
	}
	var leader *Store
	waitForResult(t, 15*time.Second, func() (bool, string) {
		for _, s := range rest {
			if s.IsLeader() {
				leader = s
				return true, ""
			}
		}
		return false, "no new leader among the two survivors"
	})
	if _, ok := leader.FSM().Job("before"); !ok {
		t.Fatal("new leader lost job before")
	}
	if err := leader.Apply(SubmitJob{ID: "after", Time: t0}); err != nil {
		t.Fatal(err)
	}

	// The crashed replica restarts from its data dir on its old address and
	// catches up with what it missed.
	cfg.BindAddr = addr
	back, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	hasJob(t, back, "before")
	hasJob(t, back, "after")
	want := marshalStore(t, leader)
	waitForResult(t, 10*time.Second, func() (bool, string) {
		return bytes.Equal(marshalStore(t, back), want), "restarted replica's state differs from the leader's"
	})
}

func marshalStore(t *testing.T, s *Store) []byte {
	t.Helper()
	b, err := s.FSM().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotThenRestart(t *testing.T) {
	stores := cluster(t, 1, noScheduler)
	s := stores[0]
	for _, c := range randomLog(3, 200) {
		if b, ok := c.(Batch); ok {
			if _, err := s.ApplyBatch(b); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := s.Apply(c); err != nil && (errors.Is(err, ErrNotLeader) || errors.Is(err, ErrClosed)) {
			t.Fatal(err)
		}
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	// Entries after the snapshot are replayed from the log on restart.
	if err := s.Apply(SubmitJob{ID: "after-snapshot", Time: t0}); err != nil {
		t.Fatal(err)
	}
	want := marshalStore(t, s)
	snaps, _ := filepath.Glob(filepath.Join(s.cfg.Dir, "snapshots", "*", "state.bin"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots on disk: got %d; want 1", len(snaps))
	}
	cfg, addr := s.cfg, s.Addr()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.BindAddr = addr
	back, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	if err := back.Bootstrap(); err != nil { // a no-op on existing state
		t.Fatal(err)
	}
	waitForResult(t, 10*time.Second, func() (bool, string) {
		return bytes.Equal(marshalStore(t, back), want), "restarted state differs from the state before closing"
	})
}

func TestRemoveReplica(t *testing.T) {
	stores := cluster(t, 3, noScheduler)
	leader := leaderOfT(t, stores)
	var victim *Store
	for _, s := range stores {
		if s != leader {
			victim = s
		}
	}
	if err := leader.Remove(victim.ID()); err != nil {
		t.Fatal(err)
	}
	if got := leader.peers(); got != 2 {
		t.Fatalf("peers: got %d; want 2", got)
	}
	if err := leader.Apply(SubmitJob{ID: "j", Time: t0}); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := LocalConfig("n", os.TempDir())
	if err := good.Validate(); err != nil {
		t.Fatalf("local config: got %v; want valid", err)
	}
	tests := map[string]func(*Config){
		"no id":           func(c *Config) { c.ID = "" },
		"no dir":          func(c *Config) { c.Dir = "" },
		"no logger":       func(c *Config) { c.Logger = nil },
		"lease too long":  func(c *Config) { c.LeaderLeaseTimeout = 2 * c.HeartbeatTimeout },
		"bad scheduler":   func(c *Config) { c.Scheduler.MaxAttempts = 0 },
		"zero interval":   func(c *Config) { c.ScheduleInterval = 0 },
		"retain nothing":  func(c *Config) { c.SnapshotRetain = 0 },
		"zero apply wait": func(c *Config) { c.ApplyTimeout = 0 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := good
			mutate(&c)
			if err := c.Validate(); err == nil {
				t.Fatal("got nil; want an error")
			}
		})
	}
}
