package coordinator

import (
	"testing"
	"time"
)

// TestSkipRetryFaultDropsRetries switches the test fault on: a failed
// attempt's task gets no new attempt, while a first attempt of another
// job, planned after the failure, still does.
func TestSkipRetryFaultDropsRetries(t *testing.T) {
	saved := testFault
	testFault = TestFaultSkipRetry
	// Registered first, so it runs after the cluster has stopped.
	t.Cleanup(func() { testFault = saved })
	s := cluster(t, 1, func(c *Config) {
		c.Scheduler.BackoffBase, c.Scheduler.BackoffMax, c.Scheduler.Jitter = 0, 0, 0
		c.Scheduler.SpeculationMultiplier = 0
	})[0]
	mustApply(t, s,
		SetWorker{ID: "w1", Slots: 2, Time: time.Now()},
		SubmitJob{ID: "j", Stages: []StageSpec{{Name: "s", Tasks: 1}}, Time: time.Now()},
	)
	first := allRunning(t, s, "j", 0, 1)[0][0]
	mustApply(t, s, FailAttempt{ID: first.ID, Reason: "boom", Counted: true, Time: time.Now()})
	// The pass that assigns k's task comes after the failure, with j's
	// retry due at once (no back-off) and a slot free for it.
	mustApply(t, s, SubmitJob{ID: "k", Stages: []StageSpec{{Name: "s", Tasks: 1}}, Time: time.Now()})
	allRunning(t, s, "k", 0, 1)
	if got := runningOf(s, "j", 0); len(got) != 0 {
		t.Fatalf("job j after its attempt failed: got running attempts %v; want none with %s", got, TestFaultSkipRetry)
	}
	j, _ := s.FSM().Job("j")
	if n := len(j.Stages[0].Tasks[0].Attempts); n != 1 {
		t.Fatalf("job j's task: got %d attempts; want the failed one alone", n)
	}
}
