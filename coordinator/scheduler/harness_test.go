package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// harness is Nomad's scheduler test harness in small: a fake planner that
// applies each plan straight to a real FSM, no raft involved, on a clock the
// test moves by hand.
type harness struct {
	t   *testing.T
	fsm *coordinator.FSM
	now time.Time
	cfg scheduler.Config
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	cfg := scheduler.DefaultConfig()
	cfg.SpeculationMultiplier = 0
	return &harness{t: t, fsm: coordinator.NewFSM(), now: epoch, cfg: cfg}
}

// apply applies commands that must be accepted.
func (h *harness) apply(cmds ...coordinator.Command) {
	h.t.Helper()
	for _, c := range cmds {
		if r := h.fsm.ApplyCommand(c); r != nil {
			h.t.Fatalf("apply %T: got %v; want accepted", c, r)
		}
	}
}

func (h *harness) worker(id string, slots int) {
	h.t.Helper()
	h.apply(coordinator.SetWorker{ID: id, Slots: slots, Time: h.now})
}

func (h *harness) submit(id string, priority int, tasks ...int) {
	h.t.Helper()
	var stages []coordinator.StageSpec
	for i, n := range tasks {
		stages = append(stages, coordinator.StageSpec{Name: fmt.Sprintf("s%d", i), Tasks: n})
	}
	h.apply(coordinator.SubmitJob{ID: id, JobType: "itemsets", Priority: priority, Stages: stages, Time: h.now})
	h.now = h.now.Add(time.Millisecond) // distinct submit times, as in life
}

// plan runs the scheduler without applying its decision.
func (h *harness) plan() scheduler.Decision {
	return h.fsm.Plan(h.now, h.cfg)
}

// step plans and applies the plan as the leader would; every command of it
// must be accepted.
func (h *harness) step() scheduler.Decision {
	h.t.Helper()
	d := h.plan()
	if len(d.Actions) == 0 {
		return d
	}
	errs := h.fsm.ApplyCommand(coordinator.PlanCommands(d, h.now)).([]error)
	for i, err := range errs {
		if err != nil {
			h.t.Fatalf("plan action %d (%+v): got %v; want accepted", i, d.Actions[i], err)
		}
	}
	return d
}

func (h *harness) advance(d time.Duration) { h.now = h.now.Add(d) }

func (h *harness) complete(id uint64) {
	h.t.Helper()
	h.apply(coordinator.CompleteAttempt{ID: id, Result: fmt.Sprintf("attempts/%d", id), Time: h.now})
}

func (h *harness) fail(id uint64, reason string) {
	h.t.Helper()
	h.apply(coordinator.FailAttempt{ID: id, Reason: reason, Counted: true, Time: h.now})
}

func (h *harness) job(id string) *coordinator.Job {
	h.t.Helper()
	j, ok := h.fsm.Job(id)
	if !ok {
		h.t.Fatalf("job %s: got none; want it", id)
	}
	return j
}

// kinds renders a decision as "kind job/stage/task@worker" lines, for
// comparing with an expected plan.
func kinds(d scheduler.Decision) string {
	var b strings.Builder
	for _, a := range d.Actions {
		switch a.Kind {
		case scheduler.ActAssign:
			spec := ""
			if a.Speculative {
				spec = " spec"
			}
			fmt.Fprintf(&b, "assign %s/%d/%d@%s%s;", a.JobID, a.Stage, a.Task, a.Worker, spec)
		case scheduler.ActStartJob:
			fmt.Fprintf(&b, "start %s;", a.JobID)
		default:
			fmt.Fprintf(&b, "%s %s #%d;", a.Kind, a.JobID, a.AttemptID)
		}
	}
	return b.String()
}

// assigned returns the attempt ids a decision assigns.
func assigned(d scheduler.Decision) []uint64 {
	var ids []uint64
	for _, a := range d.Actions {
		if a.Kind == scheduler.ActAssign {
			ids = append(ids, a.AttemptID)
		}
	}
	return ids
}

// TestRandomPlansKeepPolicy drives the harness with random workers, jobs,
// completions, failures, cancellations and clock moves, and checks after
// every plan that the FSM accepted all of it (slots, fencing, stages), that
// it holds at most MaxActions actions, that no more than MaxRunningJobs
// run, that admission followed priority then FIFO, and that no task has
// more than an attempt and one speculative copy running.
func TestRandomPlansKeepPolicy(t *testing.T) {
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 1))
		h := newHarness(t)
		h.cfg.MaxActions = 1 + r.IntN(6)
		h.cfg.MaxRunningJobs = 1 + r.IntN(3)
		h.cfg.MaxAttempts = 1 + r.IntN(3)
		h.cfg.MaxLost = 1 + r.IntN(4)
		if r.IntN(2) == 0 {
			h.cfg.SpeculationMultiplier, h.cfg.SpeculationMinRuntime = 1.5, time.Second
		}
		jobs := 0
		running := func(f func(tk *coordinator.Task, a *coordinator.Attempt)) {
			for _, j := range h.fsm.Jobs() {
				for _, st := range j.Stages {
					for _, tk := range st.Tasks {
						for _, a := range tk.Attempts {
							if a.State == scheduler.AttemptRunning {
								f(tk, a)
							}
						}
					}
				}
			}
		}
		for step := range 150 {
			switch r.IntN(8) {
			case 0:
				h.worker(fmt.Sprintf("w%d", r.IntN(4)), r.IntN(3))
			case 1:
				var tasks []int
				for k := r.IntN(3); k >= 0; k-- {
					tasks = append(tasks, r.IntN(4))
				}
				h.submit(fmt.Sprintf("j%d", jobs), r.IntN(3), tasks...)
				jobs++
			case 2:
				h.fsm.ApplyCommand(coordinator.RemoveWorker{ID: fmt.Sprintf("w%d", r.IntN(4)), Time: h.now})
			case 3, 4:
				running(func(_ *coordinator.Task, a *coordinator.Attempt) {
					switch r.IntN(3) { // a copy may have been superseded meanwhile
					case 0:
						h.fsm.ApplyCommand(coordinator.CompleteAttempt{ID: a.ID, Result: "r", Time: h.now})
					case 1:
						h.fsm.ApplyCommand(coordinator.FailAttempt{ID: a.ID, Reason: "boom", Counted: true, Time: h.now})
					}
				})
			case 5:
				if jobs > 0 {
					h.fsm.ApplyCommand(coordinator.CancelJob{JobID: fmt.Sprintf("j%d", r.IntN(jobs)), Time: h.now})
				}
			case 6:
				h.advance(time.Duration(r.IntN(100)) * time.Second)
			case 7:
				for _, j := range h.fsm.Jobs() {
					done := j.State == scheduler.JobRunning
					for _, p := range j.Progress() {
						done = done && p.Done == p.Total
					}
					if done {
						h.apply(coordinator.FinishJob{JobID: j.ID, State: scheduler.JobSucceeded, Time: h.now})
					}
				}
			}
			d := h.step()
			if len(d.Actions) > h.cfg.MaxActions {
				t.Fatalf("seed %d step %d: got %d actions; want at most %d: %s", seed, step, len(d.Actions), h.cfg.MaxActions, kinds(d))
			}
			all := h.fsm.Jobs()
			for _, a := range d.Actions {
				if a.Kind != scheduler.ActStartJob {
					continue
				}
				s := h.job(a.JobID)
				for _, j := range all {
					if j.State == scheduler.JobQueued && (j.Priority > s.Priority || j.Priority == s.Priority && j.Seq < s.Seq) {
						t.Fatalf("seed %d step %d: got %s (priority %d) started; want %s (priority %d) first", seed, step, s.ID, s.Priority, j.ID, j.Priority)
					}
				}
			}
			n := 0
			for _, j := range all {
				if j.State == scheduler.JobRunning {
					n++
				}
			}
			if n > h.cfg.MaxRunningJobs {
				t.Fatalf("seed %d step %d: got %d jobs running; want at most %d", seed, step, n, h.cfg.MaxRunningJobs)
			}
			live := map[*coordinator.Task]int{}
			running(func(tk *coordinator.Task, _ *coordinator.Attempt) { live[tk]++ })
			for _, v := range live {
				if v > 2 {
					t.Fatalf("seed %d step %d: got %d attempts of a task running; want at most 2", seed, step, v)
				}
			}
		}
	}
}
