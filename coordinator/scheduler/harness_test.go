package scheduler_test

import (
	"fmt"
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
