package coordinator

import (
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// view presents a State to the scheduler. Only the stage that can run (the
// current one) is shown with its tasks; the others keep their names only,
// which is all the scheduler needs and keeps a pass proportional to the
// work that is schedulable.
type view struct{ s *State }

// Jobs implements scheduler.State.
func (v view) Jobs() []scheduler.Job {
	var out []scheduler.Job
	for _, j := range v.s.Jobs {
		if j.State.Terminal() && j.running == 0 {
			continue
		}
		sj := scheduler.Job{ID: j.ID, Type: j.Type, Priority: j.Priority, Seq: j.Seq, State: j.State}
		cur := j.currentStage()
		sj.Stages = make([]scheduler.Stage, len(j.Stages))
		for si, st := range j.Stages {
			sj.Stages[si].Name = st.Name
			if si != cur {
				continue
			}
			tasks := make([]scheduler.Task, len(st.Tasks))
			for ti, t := range st.Tasks {
				tasks[ti].Done = t.Done
				if len(t.Attempts) == 0 {
					continue
				}
				as := make([]scheduler.Attempt, len(t.Attempts))
				for ai, a := range t.Attempts {
					as[ai] = scheduler.Attempt{
						ID: a.ID, Worker: a.Worker, Start: a.Start, Deadline: a.Deadline, End: a.End,
						State: a.State, Speculative: a.Speculative, Reason: a.Reason,
					}
				}
				tasks[ti].Attempts = as
			}
			sj.Stages[si].Tasks = tasks
		}
		out = append(out, sj)
	}
	return out
}

// Workers implements scheduler.State.
func (v view) Workers() []scheduler.Worker {
	out := make([]scheduler.Worker, 0, len(v.s.Workers))
	for _, w := range v.s.Workers {
		out = append(out, scheduler.Worker{ID: w.ID, Slots: w.Slots, LastSeen: w.LastSeen})
	}
	return out
}

// LastAttemptID implements scheduler.State.
func (v view) LastAttemptID() uint64 { return v.s.LastAttemptID }

// PlanCommands turns a scheduler decision taken at now into the batch of
// commands that applies it: one log entry per plan.
func PlanCommands(d scheduler.Decision, now time.Time) Batch {
	b := make(Batch, 0, len(d.Actions))
	for _, a := range d.Actions {
		switch a.Kind {
		case scheduler.ActStartJob:
			b = append(b, StartJob{JobID: a.JobID, Time: now})
		case scheduler.ActAssign:
			b = append(b, AssignAttempt{
				ID: a.AttemptID, JobID: a.JobID, Stage: a.Stage, Task: a.Task, Worker: a.Worker,
				Deadline: a.Deadline, Speculative: a.Speculative, Time: now,
			})
		case scheduler.ActLoseAttempt:
			b = append(b, FailAttempt{ID: a.AttemptID, Reason: a.Reason, Time: now})
		case scheduler.ActCancelAttempt:
			b = append(b, FailAttempt{ID: a.AttemptID, Reason: a.Reason, Cancelled: true, Time: now})
		case scheduler.ActFailJob:
			b = append(b, FinishJob{JobID: a.JobID, State: scheduler.JobFailed, Reason: a.Reason, Time: now})
		}
	}
	return b
}
