package coordinator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// runningOf returns the running attempts of job id's stage, by task.
func runningOf(s *Store, id string, stage int) map[int][]*Attempt {
	out := map[int][]*Attempt{}
	j, ok := s.FSM().Job(id)
	if !ok || stage >= len(j.Stages) {
		return out
	}
	for ti, t := range j.Stages[stage].Tasks {
		for _, a := range t.Attempts {
			if a.State == scheduler.AttemptRunning {
				out[ti] = append(out[ti], a)
			}
		}
	}
	return out
}

func mustApply(t *testing.T, s *Store, cmds ...Command) {
	t.Helper()
	for _, c := range cmds {
		if err := s.Apply(c); err != nil {
			t.Fatalf("apply %T: %v", c, err)
		}
	}
}

// allRunning waits until each of job id's stage tasks has a running attempt
// on s and returns them.
func allRunning(t *testing.T, s *Store, id string, stage, tasks int) map[int][]*Attempt {
	t.Helper()
	var got map[int][]*Attempt
	waitForResult(t, 10*time.Second, func() (bool, string) {
		got = runningOf(s, id, stage)
		return len(got) == tasks, fmt.Sprintf("%d of %d tasks of %s/%d running on %s", len(got), tasks, id, stage, s.ID())
	})
	return got
}

func TestLeaderRunsJobThroughStages(t *testing.T) {
	s := cluster(t, 1, nil)[0]
	mustApply(t, s,
		SetWorker{ID: "w1", Slots: 2, Time: time.Now()},
		SetWorker{ID: "w2", Slots: 2, Time: time.Now()},
		SubmitJob{ID: "j", JobType: "itemsets", Stages: []StageSpec{{Name: "local", Tasks: 4}}, Time: time.Now()},
	)
	for _, as := range allRunning(t, s, "j", 0, 4) {
		mustApply(t, s, CompleteAttempt{ID: as[0].ID, Result: fmt.Sprintf("attempts/%d", as[0].ID), Time: time.Now()})
	}
	// A dynamic stage appended after the first one finished is scheduled too.
	mustApply(t, s, AppendStage{JobID: "j", Stage: StageSpec{Name: "global", Tasks: 2}, Time: time.Now()})
	for _, as := range allRunning(t, s, "j", 1, 2) {
		mustApply(t, s, CompleteAttempt{ID: as[0].ID, Result: "r", Time: time.Now()})
	}
	mustApply(t, s, FinishJob{JobID: "j", State: scheduler.JobSucceeded, Time: time.Now()})
	j, _ := s.FSM().Job("j")
	if p := j.Progress(); j.State != scheduler.JobSucceeded || p[0].Done != 4 || p[1].Done != 2 {
		t.Fatalf("job: got %s %+v; want succeeded with 4/4 and 2/2", j.State, p)
	}
}

func TestLeaderRetriesAfterBackoff(t *testing.T) {
	s := cluster(t, 1, func(c *Config) {
		c.Scheduler.BackoffBase = 50 * time.Millisecond
		c.Scheduler.BackoffMax = 50 * time.Millisecond
		c.ScheduleInterval = time.Hour // only events and wake-ups drive the loop
	})[0]
	mustApply(t, s,
		SetWorker{ID: "w1", Slots: 1, Time: time.Now()},
		SubmitJob{ID: "j", Stages: []StageSpec{{Name: "s", Tasks: 1}}, Time: time.Now()},
	)
	first := allRunning(t, s, "j", 0, 1)[0][0]
	mustApply(t, s, FailAttempt{ID: first.ID, Reason: "boom", Counted: true, Time: time.Now()})
	second := allRunning(t, s, "j", 0, 1)[0][0]
	if second.ID <= first.ID || second.Start.Sub(first.End) < 50*time.Millisecond {
		t.Fatalf("retry: got attempt %d started %v after the failure; want a new attempt after the 50ms back-off",
			second.ID, second.Start.Sub(first.End))
	}
}

func TestNewLeaderTakesOverScheduling(t *testing.T) {
	stores := cluster(t, 3, func(c *Config) { c.Scheduler.SpeculationMultiplier = 0 })
	old := leaderOfT(t, stores)
	mustApply(t, old,
		SetWorker{ID: "w1", Slots: 3, Time: time.Now()},
		SetWorker{ID: "w2", Slots: 3, Time: time.Now()},
		SubmitJob{ID: "j", Stages: []StageSpec{{Name: "s", Tasks: 3}}, Time: time.Now()},
	)
	allRunning(t, old, "j", 0, 3)
	for _, s := range stores {
		if s != old && s.stats.plans.Load() != 0 {
			t.Fatalf("follower %s committed %d plans; want 0", s.ID(), s.stats.plans.Load())
		}
	}
	if err := old.shutdown(false); err != nil {
		t.Fatal(err)
	}
	var rest []*Store
	for _, s := range stores {
		if s != old {
			rest = append(rest, s)
		}
	}
	leader := leaderOfT(t, rest)
	// w1 disappears: the new leader must give its attempts to w2.
	mustApply(t, leader, RemoveWorker{ID: "w1", Time: time.Now()})
	waitForResult(t, 10*time.Second, func() (bool, string) {
		run := runningOf(leader, "j", 0)
		for ti := 0; ti < 3; ti++ {
			if len(run[ti]) != 1 || run[ti][0].Worker != "w2" {
				return false, fmt.Sprintf("task %d: running %v; want one attempt on w2", ti, run[ti])
			}
		}
		return true, ""
	})
	j, _ := leader.FSM().Job("j")
	for ti, task := range j.Stages[0].Tasks {
		for _, a := range task.Attempts {
			if a.Worker == "w1" && a.State != scheduler.AttemptLost {
				t.Fatalf("task %d attempt %d on w1: got %s; want lost", ti, a.ID, a.State)
			}
		}
	}
}

func TestBenchmarkAssignmentsSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rate, err := BenchmarkAssignments(ctx, t.TempDir(), 3000)
	if err != nil {
		t.Fatal(err)
	}
	if rate <= 0 {
		t.Fatalf("rate: got %g; want positive", rate)
	}
	t.Logf("%.0f assignments/s (3,000 tasks, 3 replicas, -race and test overheads included)", rate)
}
