package soak

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/clustertest"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// The cluster's shape.
const (
	coordinators = 3
	workers      = 3
	slots        = 2
	// raftTimeout is the coordinators' --raft-timeout: short, for fast
	// failovers on loopback, long enough for 2 busy cores.
	raftTimeout = 500 * time.Millisecond
)

// Run runs the suite once with cfg on quarry binary bin: it starts the
// cluster (3 coordinators, 3 workers, etcd, MinIO), submits jobs while
// the schedule injects faults for cfg.Duration, restores everything,
// waits for every job to end and checks the invariants. It fails t only
// when it cannot set the cluster up; what it finds is in the report.
func Run(t *testing.T, bin string, cfg Config) *Report {
	start := time.Now()
	rep := newReport(cfg.Seed)
	t.Logf("soak: seed %d (replay with %s=%d), fault phase %v", cfg.Seed, EnvSeed, cfg.Seed, cfg.Duration)

	in := clustertest.StartInfra(t)
	c := clustertest.NewCluster(t, in, bin, "soak")
	c.LogTail = 16 << 10
	ref, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	inp := prepareInputs(t, c.Store, ref)
	if err := c.StartCoordinators(coordinators, raftTimeout, cfg.CoordinatorEnv...); err != nil {
		t.Fatal(err)
	}
	var ws []*clustertest.Worker
	var ids []string
	for i := range workers {
		w, err := c.StartWorker(t, fmt.Sprintf("w%d", i+1), slots, leaseTTL)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
		ids = append(ids, w.ID)
	}
	if _, err := c.WaitLeader(time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitWorkers(time.Minute, ids...); err != nil {
		t.Fatal(err)
	}
	t.Logf("soak: cluster up in %v", time.Since(start).Round(100*time.Millisecond))

	// The fault phase: the stream on its goroutine, faults on this one.
	phase := time.Now()
	ctx, stop := context.WithTimeout(context.Background(), cfg.Duration)
	s := newStream(t, c, cfg, inp)
	streamDone := make(chan struct{})
	go func() {
		defer close(streamDone)
		s.run(ctx)
	}()
	sched := newSchedule(cfg)
	inj := &injector{t: t, c: c, workers: ws, rep: rep, start: phase}
	for ctx.Err() == nil {
		f := sched.next()
		select {
		case <-ctx.Done():
		case <-time.After(f.gap):
			if err := inj.inject(f); err != nil {
				rep.violate("fault %s: the cluster could not be restored: %v", f.kind, err)
				stop()
			}
		}
	}
	stop()
	<-streamDone
	rep.FaultPhase = time.Since(phase)
	t.Logf("soak: fault phase over after %v; %d jobs submitted", rep.FaultPhase.Round(100*time.Millisecond), len(s.submissions()))

	// Everything back, then every job must end.
	if err := waitHealthy(c, ws, ids); err != nil {
		rep.violate("cluster not healthy after the fault phase: %v", err)
	} else {
		settle(t, c, cfg)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	k := &checker{c: c, etcd: in.Etcd.Client(t), ref: ref, in: inp, rep: rep, subs: s.submissions()}
	k.run(cctx)
	rep.Total = time.Since(start)
	return rep
}

// waitHealthy restarts whatever is down and waits for a leader and every
// worker to be registered.
func waitHealthy(c *clustertest.Cluster, ws []*clustertest.Worker, ids []string) error {
	for _, co := range c.Coords {
		if !co.Running() {
			if err := c.RestartCoordinator(co); err != nil {
				return err
			}
		}
	}
	for _, w := range ws {
		if !w.Running() {
			if err := c.RestartWorker(w); err != nil {
				return err
			}
		}
	}
	for _, co := range c.Coords {
		if err := clustertest.WaitFor(time.Minute, "coordinator "+co.ID+" serves", func() bool { return c.Serving(co) }); err != nil {
			return err
		}
	}
	if _, err := c.WaitLeader(time.Minute, nil); err != nil {
		return err
	}
	return c.WaitWorkers(2*time.Minute, ids...)
}

// settle waits until every listed job has ended, for at most cfg.Drain,
// and gives up sooner when no job has moved for cfg.Stall.
func settle(t *testing.T, c *clustertest.Cluster, cfg Config) {
	start := time.Now()
	last, moved := "", time.Now()
	for time.Since(start) <= cfg.Drain {
		jobs, err := c.Jobs()
		if err == nil {
			var open []string
			for _, j := range jobs {
				if !clustertest.Terminal(j.State) {
					open = append(open, j.JobId+": "+clustertest.Progress(j))
				}
			}
			if len(open) == 0 {
				t.Logf("soak: every job ended %v after the cluster was healthy again", time.Since(start).Round(100*time.Millisecond))
				return
			}
			if now := strings.Join(open, "\n"); now != last {
				last, moved = now, time.Now()
			}
			if time.Since(moved) > cfg.Stall || time.Since(start) > cfg.Drain {
				t.Logf("soak: %d jobs still open after %v (none moved for %v):\n%s", len(open),
					time.Since(start).Round(time.Second), time.Since(moved).Round(time.Second), last)
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("soak: gave up waiting for the jobs after %v: no leader listed them", cfg.Drain)
}
