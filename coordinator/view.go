package coordinator

import (
	"sort"
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

// assigned is a running attempt as its worker's stream sends it.
type assigned struct {
	JobID     string
	Stage     int
	StageName string
	Task      int
	Number    int // the task's attempt number, from 1
	Attempt   Attempt
	Payload   []byte // the task's payload, shared: never modified
}

// endedAttempt is an attempt a stream sent that no longer runs.
type endedAttempt struct {
	ID        uint64
	JobID     string // empty when the attempt is unknown
	Stage     int
	Task      int
	Succeeded bool // it won: nothing to cancel
}

// workerDelta is what a worker's PullTasks stream must send after the
// attempts it already sent RUN for.
type workerDelta struct {
	run   []assigned     // running on the worker, not sent yet, by id
	ended []endedAttempt // sent, no longer running, by id
	// drained is true when the worker is registered with no slot, so no
	// attempt will be assigned to it beyond those in run or sent.
	drained bool
}

// workerDelta reads, in one consistent view, what the stream of worker
// must send given sent, the attempts it sent RUN for and not yet CANCEL. It
// costs the worker's attempts, not the history: the running ones come from
// the per-worker index.
func (f *FSM) workerDelta(worker string, sent map[uint64]bool) workerDelta {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := f.state
	var d workerDelta
	running := s.onWorker[worker]
	for id := range running {
		if sent[id] {
			continue
		}
		r := s.attempts[id]
		st := r.job.Stages[r.stage]
		d.run = append(d.run, assigned{
			JobID: r.job.ID, Stage: r.stage, StageName: st.Name, Task: r.task, Number: r.attemptIndex + 1,
			Attempt: *r.attempt(), Payload: st.Tasks[r.task].Payload,
		})
	}
	for id := range sent {
		if _, ok := running[id]; ok {
			continue
		}
		e := endedAttempt{ID: id}
		if r, ok := s.attempts[id]; ok {
			e.JobID, e.Stage, e.Task = r.job.ID, r.stage, r.task
			e.Succeeded = r.attempt().State == scheduler.AttemptSucceeded
		}
		d.ended = append(d.ended, e)
	}
	sort.Slice(d.run, func(a, b int) bool { return d.run[a].Attempt.ID < d.run[b].Attempt.ID })
	sort.Slice(d.ended, func(a, b int) bool { return d.ended[a].ID < d.ended[b].ID })
	if w, ok := s.Workers[worker]; ok && w.Slots == 0 {
		d.drained = true
	}
	return d
}

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
