package coordinator

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarrydata/quarry/internal/wait"
)

// leaderRun is one term of leadership's scheduling loop.
type leaderRun struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// leaderStats counts what the leader loop committed, across terms.
type leaderStats struct {
	plans    atomic.Uint64 // plan entries committed
	actions  atomic.Uint64 // commands in them
	rejected atomic.Uint64 // commands the FSM refused
}

// watchLeadership follows raft's leadership notifications until ctx ends,
// starting the leader loop on gaining leadership and stopping it on losing
// it, and waking whoever waits on leadershipChanged.
func (s *Store) watchLeadership(ctx context.Context) {
	defer s.stopLeading()
	defer s.signalLeadership()
	for {
		select {
		case <-ctx.Done():
			return
		case leader := <-s.notify:
			s.signalLeadership()
			if leader {
				s.log.Info("became raft leader")
				s.startLeading()
			} else {
				s.log.Info("lost raft leadership")
				s.stopLeading()
			}
		}
	}
}

func (s *Store) startLeading() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leading != nil || s.closed || s.cfg.DisableScheduler {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &leaderRun{cancel: cancel}
	run.done.Add(1)
	go func() {
		defer run.done.Done()
		s.lead(ctx)
	}()
	s.leading = run
}

func (s *Store) stopLeading() {
	s.mu.Lock()
	run := s.leading
	s.leading = nil
	s.mu.Unlock()
	if run != nil {
		run.cancel()
		run.done.Wait()
	}
}

// lead is the leader loop. It first waits on a raft barrier, so the FSM holds
// every entry a previous leader committed before it plans anything; then it
// plans and commits each plan as one log entry, again at once while plans
// make progress, otherwise on the next event (an applied entry), at the
// plan's wake-up time or after ScheduleInterval, whichever comes first. Plans
// run one at a time and each sees the effects of the last, because an apply
// returns only once the entry is applied to this replica's FSM.
func (s *Store) lead(ctx context.Context) {
	for {
		err := s.Barrier()
		if err == nil {
			break
		}
		if ctx.Err() != nil || errors.Is(err, ErrNotLeader) || errors.Is(err, ErrClosed) {
			return
		}
		s.log.Warn("leader barrier failed; retrying", "err", err)
		if !wait.Sleep(ctx, s.cfg.ScheduleInterval) {
			return
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := s.cfg.now()
		d := s.applyTestFault(s.fsm.Plan(now, s.cfg.Scheduler)) // a no-op unless QUARRY_TEST_FAULT is set
		if len(d.Actions) > 0 {
			progressed, err := s.commitPlan(PlanCommands(d, now))
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, ErrNotLeader) || errors.Is(err, ErrClosed) {
					return
				}
				s.log.Warn("commit plan failed", "err", err)
			}
			if progressed {
				continue
			}
		}
		wait := s.cfg.ScheduleInterval
		if !d.Wake.IsZero() {
			if w := d.Wake.Sub(now); w < wait {
				wait = max(w, time.Millisecond)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-timer.C:
		}
	}
}

// commitPlan applies one plan's commands as one entry. progressed is false
// when the FSM refused them all, so the loop waits for news instead of
// spinning on a plan the state does not accept.
func (s *Store) commitPlan(b Batch) (progressed bool, err error) {
	errs, err := s.ApplyBatch(b)
	if err != nil {
		return false, err
	}
	refused := 0
	for i, e := range errs {
		if e != nil {
			refused++
			s.log.Debug("plan command refused", "index", i, "err", e)
		}
	}
	s.metrics.Load().observePlan(s.fsm, b, errs)
	s.stats.plans.Add(1)
	s.stats.actions.Add(uint64(len(b)))
	s.stats.rejected.Add(uint64(refused))
	return refused < len(b), nil
}
