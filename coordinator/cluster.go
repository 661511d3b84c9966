package coordinator

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// LocalCluster starts n replicas in one process on loopback, in
// dir/node0…, bootstraps the first and joins the others, and returns them
// once every replica knows the leader. configure, if not nil, adjusts each
// replica's Config (it starts from DefaultConfig with port 0 and short raft
// timings). It serves tests, benchmarks and `quarry dev`-style single-process
// setups.
func LocalCluster(ctx context.Context, dir string, n int, configure func(*Config)) ([]*Store, error) {
	if n < 1 {
		return nil, fmt.Errorf("local cluster of %d: %w", n, ErrInvalidCommand)
	}
	var stores []*Store
	fail := func(err error) ([]*Store, error) {
		for _, s := range stores {
			s.Close()
		}
		return nil, err
	}
	for i := 0; i < n; i++ {
		cfg := LocalConfig("node"+strconv.Itoa(i), filepath.Join(dir, "node"+strconv.Itoa(i)))
		if configure != nil {
			configure(&cfg)
		}
		s, err := Open(cfg)
		if err != nil {
			return fail(err)
		}
		stores = append(stores, s)
	}
	if err := stores[0].Bootstrap(); err != nil {
		return fail(err)
	}
	if err := waitFor(ctx, stores[0].IsLeader); err != nil {
		return fail(fmt.Errorf("local cluster: first leader: %w", err))
	}
	for _, s := range stores[1:] {
		if err := stores[0].Join(s.ID(), s.Addr()); err != nil {
			return fail(err)
		}
	}
	for _, s := range stores {
		if _, err := s.WaitForLeader(ctx); err != nil {
			return fail(err)
		}
	}
	return stores, nil
}

// LocalConfig returns the configuration LocalCluster starts from: the
// defaults on 127.0.0.1:0 with timings short enough for loopback.
func LocalConfig(id, dir string) Config {
	cfg := DefaultConfig()
	cfg.ID, cfg.Dir = id, dir
	cfg.BindAddr = "127.0.0.1:0"
	cfg.HeartbeatTimeout = 300 * time.Millisecond
	cfg.ElectionTimeout = 300 * time.Millisecond
	cfg.LeaderLeaseTimeout = 200 * time.Millisecond
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.ScheduleInterval = 100 * time.Millisecond
	return cfg
}

// waitFor polls cond every few milliseconds until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return errors.Join(ErrNoLeader, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
