package scheduler_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
)

func TestAdmissionOrder(t *testing.T) {
	type job struct {
		id       string
		priority int
	}
	tests := []struct {
		name string
		jobs []job
		cap  int
		want string
	}{
		{"fifo", []job{{"a", 0}, {"b", 0}, {"c", 0}}, 2, "start a;start b;"},
		{"higher class first", []job{{"a", 0}, {"b", 5}, {"c", 5}, {"d", 1}}, 3, "start b;start c;start d;"},
		{"cap one", []job{{"a", 1}, {"b", 2}}, 1, "start b;"},
		{"all fit", []job{{"a", 0}, {"b", 0}}, 4, "start a;start b;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.cfg.MaxRunningJobs = tc.cap
			for _, j := range tc.jobs {
				h.submit(j.id, j.priority) // no stages: nothing to assign
			}
			if got := kinds(h.step()); got != tc.want {
				t.Fatalf("got %q; want %q", got, tc.want)
			}
			if got := kinds(h.plan()); got != "" {
				t.Fatalf("second pass: got %q; want nothing while the cap is reached", got)
			}
		})
	}
}

func TestCapFreesWhenJobFinishes(t *testing.T) {
	h := newHarness(t)
	h.cfg.MaxRunningJobs = 1
	h.submit("a", 0)
	h.submit("b", 0)
	h.step()
	h.apply(coordinator.FinishJob{JobID: "a", State: scheduler.JobSucceeded, Time: h.now})
	if got, want := kinds(h.step()), "start b;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func TestAssignmentRespectsSlots(t *testing.T) {
	tests := []struct {
		name    string
		workers map[string]int
		tasks   int
		want    string
	}{
		{"most free first, ties by id", map[string]int{"w1": 1, "w2": 2}, 5,
			"start j;assign j/0/0@w2;assign j/0/1@w1;assign j/0/2@w2;"},
		{"no workers", map[string]int{}, 2, "start j;"},
		{"zero slots", map[string]int{"w1": 0}, 2, "start j;"},
		{"more slots than tasks", map[string]int{"w1": 8}, 2, "start j;assign j/0/0@w1;assign j/0/1@w1;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for id, n := range tc.workers {
				h.worker(id, n)
			}
			h.submit("j", 0, tc.tasks)
			if got := kinds(h.step()); got != tc.want {
				t.Fatalf("got %q; want %q", got, tc.want)
			}
			if got := kinds(h.plan()); got != "" {
				t.Fatalf("second pass: got %q; want nothing", got)
			}
		})
	}
}

func TestPriorityClassesShareSlots(t *testing.T) {
	h := newHarness(t)
	h.worker("w1", 2)
	h.submit("low", 0, 2)
	h.submit("high", 9, 2)
	if got, want := kinds(h.step()), "start high;start low;assign high/0/0@w1;assign high/0/1@w1;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func TestAttemptIDsFollowTheLast(t *testing.T) {
	h := newHarness(t)
	h.worker("w1", 4)
	h.submit("a", 0, 2)
	first := assigned(h.step())
	h.submit("b", 0, 2)
	second := assigned(h.step())
	if got, want := append(first, second...), []uint64{1, 2, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got ids %v; want %v", got, want)
	}
}

func TestStagesRunInOrder(t *testing.T) {
	h := newHarness(t)
	h.worker("w1", 4)
	h.submit("j", 0, 2, 1)
	if got, want := kinds(h.step()), "start j;assign j/0/0@w1;assign j/0/1@w1;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	h.complete(1)
	if got := kinds(h.plan()); got != "" {
		t.Fatalf("one task of stage 0 left: got %q; want nothing", got)
	}
	h.complete(2)
	if got, want := kinds(h.step()), "assign j/1/0@w1;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	h.complete(3)
	h.apply(coordinator.AppendStage{JobID: "j", Stage: coordinator.StageSpec{Name: "round2", Tasks: 1}, Time: h.now})
	if got, want := kinds(h.step()), "assign j/2/0@w1;"; got != want {
		t.Fatalf("after append: got %q; want %q", got, want)
	}
}

func TestRetryWaitsForBackoff(t *testing.T) {
	h := newHarness(t)
	h.worker("w1", 1)
	h.worker("w2", 1)
	h.submit("j", 0, 1)
	h.step()
	h.advance(time.Second)
	h.fail(1, "boom")
	d := h.plan()
	if len(d.Actions) != 0 {
		t.Fatalf("right after the failure: got %q; want nothing", kinds(d))
	}
	wait := scheduler.Backoff(h.cfg, "j", 0, 0, 1, 1)
	if got, want := d.Wake, h.now.Add(wait); !got.Equal(want) {
		t.Fatalf("wake: got %v; want %v", got, want)
	}
	h.advance(wait - time.Nanosecond)
	if got := kinds(h.plan()); got != "" {
		t.Fatalf("1ns before the back-off ends: got %q; want nothing", got)
	}
	h.advance(time.Nanosecond)
	// w1 has the task's failure on record: the retry goes to w2.
	if got, want := kinds(h.step()), "assign j/0/0@w2;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func TestBackoff(t *testing.T) {
	cfg := scheduler.DefaultConfig()
	cfg.BackoffBase, cfg.BackoffMax, cfg.Jitter = time.Second, 8*time.Second, 0.5
	for failures, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		distinct := map[time.Duration]bool{}
		for task := 0; task < 50; task++ {
			d := scheduler.Backoff(cfg, "job", 0, task, uint64(task+1), failures)
			if d < base || d >= base+base/2 {
				t.Fatalf("failures %d task %d: got %v; want in [%v, %v)", failures, task, d, base, base+base/2)
			}
			if again := scheduler.Backoff(cfg, "job", 0, task, uint64(task+1), failures); again != d {
				t.Fatalf("failures %d task %d: got %v then %v; want the same", failures, task, d, again)
			}
			distinct[d] = true
		}
		if len(distinct) < 40 {
			t.Fatalf("failures %d: got %d distinct delays over 50 tasks; want jitter to spread them", failures, len(distinct))
		}
	}
}

func TestMaxAttemptsFailsJob(t *testing.T) {
	h := newHarness(t)
	h.cfg.MaxAttempts = 2
	h.cfg.AttemptTimeout = 24 * time.Hour
	h.worker("w1", 2)
	h.submit("j", 0, 2)
	h.step() // attempts 1 (task 0) and 2 (task 1)
	h.fail(1, "boom 1")
	h.advance(time.Hour)
	h.step() // attempt 3 retries task 0
	h.fail(3, "disk full")
	h.advance(time.Hour)
	d := h.step()
	if got, want := kinds(d), "fail-job j #0;cancel-attempt j #2;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	j := h.job("j")
	if want := "task itemsets/s0/0 failed 2 times: last error: disk full"; j.State != scheduler.JobFailed || j.Reason != want {
		t.Fatalf("job: got %s %q; want failed %q", j.State, j.Reason, want)
	}
	if got := kinds(h.plan()); got != "" {
		t.Fatalf("after failing: got %q; want nothing", got)
	}
}

func TestLostAttemptsAreReassignedWithoutCounting(t *testing.T) {
	tests := []struct {
		name  string
		lose  func(h *harness) // makes attempt 1, on w1, lost
		cause string
	}{
		{"lease expired", func(h *harness) { h.advance(h.cfg.AttemptTimeout) }, "lease expired"},
		{"worker removed", func(h *harness) { h.apply(coordinator.RemoveWorker{ID: "w1", Time: h.now}) }, "worker w1 lost"},
		{"worker silent", func(h *harness) {
			h.cfg.WorkerTimeout = time.Minute
			h.advance(2 * time.Minute)
			h.worker("w2", 1) // w2 keeps reporting
		}, "worker w1 lost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.cfg.MaxAttempts = 1
			h.cfg.AttemptTimeout = time.Minute
			h.worker("w1", 1)
			h.submit("j", 0, 1)
			h.step()
			h.worker("w2", 1)
			tc.lose(h)
			d := h.step()
			if got, want := kinds(d), "lose-attempt j #1;assign j/0/0@w2;"; got != want {
				t.Fatalf("got %q; want %q", got, want)
			}
			if !strings.HasPrefix(d.Actions[0].Reason, tc.cause) {
				t.Fatalf("reason: got %q; want prefix %q", d.Actions[0].Reason, tc.cause)
			}
			if j := h.job("j"); j.State != scheduler.JobRunning {
				t.Fatalf("job: got %s; want running (a loss does not count against MaxAttempts 1)", j.State)
			}
		})
	}
}

func TestMaxLostFailsJob(t *testing.T) {
	h := newHarness(t)
	h.cfg.MaxLost = 3
	h.cfg.AttemptTimeout = time.Minute
	h.worker("w1", 1)
	h.submit("j", 0, 1)
	h.step()
	for i := 0; i < 2; i++ {
		h.advance(time.Minute)
		h.step()
	}
	h.advance(time.Minute)
	if got, want := kinds(h.step()), "lose-attempt j #3;fail-job j #0;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	if j := h.job("j"); !strings.HasPrefix(j.Reason, "task itemsets/s0/0 was lost 3 times: last error: lease expired") {
		t.Fatalf("reason: got %q", j.Reason)
	}
}

func TestCancelledJobLosesItsAttempts(t *testing.T) {
	h := newHarness(t)
	h.worker("w1", 2)
	h.submit("j", 0, 3)
	h.step()
	h.apply(coordinator.CancelJob{JobID: "j", Reason: "analyst asked", Time: h.now})
	if got, want := kinds(h.step()), "cancel-attempt j #1;cancel-attempt j #2;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	for _, id := range []uint64{1, 2} {
		a, _, _ := h.fsm.Attempt(id)
		if a.State != scheduler.AttemptCancelled {
			t.Fatalf("attempt %d: got %s; want cancelled", id, a.State)
		}
	}
	if got := kinds(h.plan()); got != "" {
		t.Fatalf("after cancelling: got %q; want nothing", got)
	}
}

func TestSpeculativeCopyOfStraggler(t *testing.T) {
	h := newHarness(t)
	h.cfg.SpeculationMultiplier = 1.5
	h.cfg.SpeculationQuantile = 0.5
	h.cfg.SpeculationMinRuntime = 0
	h.worker("w1", 2)
	h.worker("w2", 2)
	h.submit("j", 0, 4)
	h.step() // attempts 1..4 spread over w1 and w2
	h.advance(10 * time.Second)
	for _, id := range []uint64{1, 2, 3} {
		h.complete(id)
	}
	// Median 10s, limit 15s: attempt 4 has run 10s.
	d := h.plan()
	if len(d.Actions) != 0 {
		t.Fatalf("before the limit: got %q; want nothing", kinds(d))
	}
	if want := epoch.Add(15*time.Second + time.Millisecond); !d.Wake.Equal(want) {
		t.Fatalf("wake: got %v; want %v", d.Wake, want)
	}
	h.now = d.Wake
	a4, _, _ := h.fsm.Attempt(4)
	other := map[string]string{"w1": "w2", "w2": "w1"}[a4.Worker]
	if got, want := kinds(h.step()), "assign j/0/3@"+other+" spec;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	h.complete(5)
	if r := h.fsm.ApplyCommand(coordinator.CompleteAttempt{ID: 4, Result: "late", Time: h.now}); !errors.Is(r.(error), coordinator.ErrStaleAttempt) {
		t.Fatalf("late completion of the straggler: got %v; want ErrStaleAttempt", r)
	}
	if a, _, _ := h.fsm.Attempt(4); a.State != scheduler.AttemptSuperseded {
		t.Fatalf("straggler: got %s; want superseded", a.State)
	}
}

func TestNoSpeculationOnTheSameWorker(t *testing.T) {
	h := newHarness(t)
	h.cfg.SpeculationMultiplier = 1.5
	h.cfg.SpeculationMinRuntime = 0
	h.cfg.AttemptTimeout = 24 * time.Hour
	h.worker("w1", 4)
	h.submit("j", 0, 2)
	h.step()
	h.advance(time.Second)
	h.complete(1)
	h.advance(time.Hour)
	if got := kinds(h.plan()); got != "" {
		t.Fatalf("got %q; want no copy while the only free slots are on the straggler's worker", got)
	}
}

func TestMaxActionsTruncates(t *testing.T) {
	h := newHarness(t)
	h.cfg.MaxActions = 3
	h.worker("w1", 10)
	h.submit("j", 0, 10)
	d := h.step()
	if got, want := kinds(d), "start j;assign j/0/0@w1;assign j/0/1@w1;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	if !d.Wake.Equal(h.now) {
		t.Fatalf("wake: got %v; want now (more to do)", d.Wake)
	}
	if got, want := len(assigned(h.step())), 3; got != want {
		t.Fatalf("next pass: got %d assignments; want %d", got, want)
	}
}

// TestMaxActionsBoundsJobFailure: failing a job cancels its live attempts
// only as far as MaxActions allows (it used to add them all past the cap);
// the next pass cancels the rest.
func TestMaxActionsBoundsJobFailure(t *testing.T) {
	h := newHarness(t)
	h.cfg.MaxAttempts = 1
	h.cfg.AttemptTimeout = 24 * time.Hour
	h.worker("w1", 4)
	h.submit("j", 0, 4)
	h.step() // attempts 1..4
	h.fail(1, "boom")
	h.cfg.MaxActions = 2
	d := h.step()
	if got, want := kinds(d), "fail-job j #0;cancel-attempt j #2;"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	if !d.Wake.Equal(h.now) {
		t.Fatalf("wake: got %v; want now (more to do)", d.Wake)
	}
	if got, want := kinds(h.step()), "cancel-attempt j #3;cancel-attempt j #4;"; got != want {
		t.Fatalf("next pass: got %q; want %q", got, want)
	}
	h.cfg.MaxActions = 1
	h.submit("k", 0, 1)
	h.step() // start k
	h.step() // attempt 5
	h.fail(5, "boom")
	if got, want := kinds(h.step()), "fail-job k #0;"; got != want {
		t.Fatalf("job k: got %q; want %q", got, want)
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	h := newHarness(t)
	h.cfg.SpeculationMultiplier = 1.5
	for _, w := range []string{"w3", "w1", "w2"} {
		h.worker(w, 3)
	}
	for _, j := range []string{"c", "a", "b"} {
		h.submit(j, 0, 5)
	}
	h.step()
	h.fail(2, "x")
	h.advance(time.Minute)
	first := h.plan()
	for i := 0; i < 20; i++ {
		if got := h.plan(); !reflect.DeepEqual(got, first) {
			t.Fatalf("pass %d: got %q; want %q", i, kinds(got), kinds(first))
		}
	}
}
