package coordinator

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// BenchmarkAssignments measures how many task assignments per second the
// scheduler commits through a 3-replica raft group on loopback, with its
// files under dir: it registers 16 workers with room for every task, submits
// one job of n tasks, and times from the job's commit until the leader's FSM
// has applied all n assignments. The leader loop batches each plan (up to
// Scheduler.MaxActions commands) into one log entry.
func BenchmarkAssignments(ctx context.Context, dir string, n int) (perSecond float64, err error) {
	if n < 1 {
		return 0, fmt.Errorf("benchmark assignments: n %d: %w", n, ErrInvalidCommand)
	}
	stores, err := LocalCluster(ctx, dir, 3, func(c *Config) {
		c.Scheduler.SpeculationMultiplier = 0
	})
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, s := range stores {
			s.Close()
		}
	}()
	leader, err := leaderOf(ctx, stores)
	if err != nil {
		return 0, err
	}
	const workers = 16
	slots := (n + workers - 1) / workers
	now := time.Now()
	for i := 0; i < workers; i++ {
		if err := leader.Apply(SetWorker{ID: "w" + strconv.Itoa(i), Slots: slots, Time: now}); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	if err := leader.Apply(SubmitJob{
		ID: "bench", JobType: "bench", Time: start,
		Stages: []StageSpec{{Name: "tasks", Tasks: n}},
	}); err != nil {
		return 0, err
	}
	want := leader.FSM().LastAttemptID() + uint64(n)
	if err := waitFor(ctx, func() bool { return leader.FSM().LastAttemptID() >= want }); err != nil {
		return 0, fmt.Errorf("benchmark assignments: %d of %d assigned: %w", leader.FSM().LastAttemptID(), want, err)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// leaderOf returns the replica among stores that leads.
func leaderOf(ctx context.Context, stores []*Store) (*Store, error) {
	var leader *Store
	err := waitFor(ctx, func() bool {
		for _, s := range stores {
			if s.IsLeader() {
				leader = s
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return leader, nil
}
