package soak

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/clustertest"
)

// FaultKind names a fault the schedule injects.
type FaultKind string

// The faults. Each ends with everything it stopped running again.
const (
	// KillWorker SIGKILLs a worker (a busy one when there is one) and
	// restarts it with the same id after Config.WorkerDown.
	KillWorker FaultKind = "kill-worker"
	// PauseWorker SIGSTOPs a worker (a busy one when there is one) for
	// longer than its etcd lease, then SIGCONTs it: its attempts are lost
	// meanwhile and its late reports must be refused.
	PauseWorker FaultKind = "pause-worker"
	// KillLeader SIGKILLs the raft leader and restarts it on the same
	// --data-dir once another coordinator leads.
	KillLeader FaultKind = "kill-leader"
	// KillFollower SIGKILLs a follower and restarts it on the same
	// --data-dir.
	KillFollower FaultKind = "kill-follower"
	// RestartMinIO stops the MinIO server and starts it again on the same
	// data.
	RestartMinIO FaultKind = "restart-minio"
	// RestartEtcd stops etcd and starts it again on the same data.
	RestartEtcd FaultKind = "restart-etcd"
)

// AllFaults are every fault kind, in table order.
var AllFaults = []FaultKind{KillWorker, PauseWorker, KillLeader, KillFollower, RestartMinIO, RestartEtcd}

// leaseTTL is the workers' --lease-ttl; a pause lasts longer.
const leaseTTL = 2 * time.Second

// fault is one drawn fault: its kind, the pause before it, how long its
// victim stays down, and a number that picks the victim.
type fault struct {
	kind FaultKind
	gap  time.Duration
	down time.Duration
	pick int
}

// schedule draws faults from a seeded PCG: each kind of cfg.Faults once
// per round, in an order shuffled per round, so that a short run sees
// every kind.
type schedule struct {
	cfg Config
	rng *rand.Rand
	bag []FaultKind
}

func newSchedule(cfg Config) *schedule {
	return &schedule{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 1))}
}

// next draws the next fault.
func (s *schedule) next() fault {
	if len(s.bag) == 0 {
		s.bag = append(s.bag, s.cfg.Faults...)
		s.rng.Shuffle(len(s.bag), func(i, j int) { s.bag[i], s.bag[j] = s.bag[j], s.bag[i] })
	}
	f := fault{kind: s.bag[0], gap: between(s.cfg.Gap, s.rng.Float64()), pick: s.rng.IntN(1 << 20)}
	s.bag = s.bag[1:]
	u := s.rng.Float64()
	switch f.kind {
	case KillWorker:
		f.down = between(s.cfg.WorkerDown, u)
	case PauseWorker:
		f.down = between([2]time.Duration{leaseTTL + time.Second, leaseTTL + 3*time.Second}, u)
	case KillLeader, KillFollower:
		f.down = between([2]time.Duration{2 * time.Second, 6 * time.Second}, u)
	default:
		f.down = between([2]time.Duration{500 * time.Millisecond, 2 * time.Second}, u)
	}
	return f
}

// injector applies faults to a cluster, from the test goroutine (etcd and
// MinIO restarts fail the test if the servers do not come back).
type injector struct {
	t       *testing.T
	c       *clustertest.Cluster
	workers []*clustertest.Worker
	rep     *Report
	start   time.Time
}

// inject applies f and restores what it stopped; an error means the
// cluster could not be restored and the run cannot go on.
func (in *injector) inject(f fault) error {
	in.rep.mu.Lock()
	in.rep.Faults[f.kind]++
	in.rep.mu.Unlock()
	at := time.Since(in.start).Round(100 * time.Millisecond)
	switch f.kind {
	case KillWorker, PauseWorker:
		w, running := in.pickWorker(f.pick)
		in.t.Logf("%7v fault %s %s (pid %d, %d attempts running) for %v", at, f.kind, w.ID, w.Proc().Pid(), running, f.down.Round(time.Millisecond))
		if f.kind == PauseWorker {
			if err := w.Proc().Pause(); err != nil {
				return err
			}
			time.Sleep(f.down)
			return w.Proc().Resume()
		}
		w.Proc().Kill()
		time.Sleep(f.down)
		return in.c.RestartWorker(w)
	case KillLeader, KillFollower:
		return in.killCoordinator(f, at)
	case RestartMinIO:
		in.t.Logf("%7v fault %s: down for %v", at, f.kind, f.down.Round(time.Millisecond))
		in.c.Infra.MinIO.Stop()
		time.Sleep(f.down)
		in.c.Infra.MinIO.Restart()
	case RestartEtcd:
		in.t.Logf("%7v fault %s: down for %v", at, f.kind, f.down.Round(time.Millisecond))
		in.c.Infra.Etcd.Stop()
		time.Sleep(f.down)
		in.c.Infra.Etcd.Restart()
	default:
		return fmt.Errorf("unknown fault kind %q", f.kind)
	}
	return nil
}

// killCoordinator SIGKILLs the leader or a follower, measures the
// failover after a leader's kill, and restarts the victim on its data
// folder once it has been down f.down.
func (in *injector) killCoordinator(f fault, at time.Duration) error {
	lead, err := in.c.WaitLeader(30*time.Second, nil)
	if err != nil {
		return fmt.Errorf("fault %s: %w", f.kind, err)
	}
	victim := lead
	if f.kind == KillFollower {
		var followers []*clustertest.Coordinator
		for _, co := range in.c.Coords {
			if co != lead {
				followers = append(followers, co)
			}
		}
		victim = followers[f.pick%len(followers)]
	}
	in.t.Logf("%7v fault %s %s (pid %d) for %v", at, f.kind, victim.ID, victim.Proc().Pid(), f.down.Round(time.Millisecond))
	killed := time.Now()
	victim.Proc().Kill()
	if f.kind == KillLeader {
		next, err := in.c.WaitLeader(60*time.Second, victim)
		if err != nil {
			in.rep.violate("no coordinator led within 60 s of killing leader %s: %v", victim.ID, err)
		} else {
			d := time.Since(killed)
			in.rep.mu.Lock()
			in.rep.Failovers = append(in.rep.Failovers, d)
			in.rep.mu.Unlock()
			in.t.Logf("        new leader %s after %v", next.ID, d.Round(time.Millisecond))
		}
	}
	time.Sleep(time.Until(killed.Add(f.down)))
	if err := in.c.RestartCoordinator(victim); err != nil {
		return err
	}
	return clustertest.WaitFor(60*time.Second, "coordinator "+victim.ID+" serves after its restart", func() bool { return in.c.Serving(victim) })
}

// pickWorker returns a worker for a fault, and how many attempts the
// leader says it runs: among those running some when the leader can say,
// else among all, by pick.
func (in *injector) pickWorker(pick int) (*clustertest.Worker, int) {
	running := map[string]int{}
	if ws, err := in.c.Workers(); err == nil {
		for id, s := range ws {
			running[id] = int(s.Running)
		}
	}
	var busy []*clustertest.Worker
	for _, w := range in.workers {
		if running[w.ID] > 0 && w.Running() {
			busy = append(busy, w)
		}
	}
	if len(busy) == 0 {
		busy = in.workers
	}
	sort.Slice(busy, func(i, j int) bool { return busy[i].ID < busy[j].ID })
	w := busy[pick%len(busy)]
	return w, running[w.ID]
}
