package coordinator

import (
	"fmt"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// applyAssignAttempt creates an attempt after checking, like Nomad's plan
// applier, that the plan it came from still fits the state: a stale or
// duplicated plan is refused here, not trusted.
func (s *State) applyAssignAttempt(c *AssignAttempt) error {
	if c.ID <= s.LastAttemptID {
		return fmt.Errorf("assign attempt %d (last %d): %w", c.ID, s.LastAttemptID, ErrStaleAttemptID)
	}
	j, ok := s.Jobs[c.JobID]
	if !ok {
		return fmt.Errorf("assign attempt %d to job %s: %w", c.ID, c.JobID, ErrUnknownJob)
	}
	if j.State != scheduler.JobRunning {
		return fmt.Errorf("assign attempt %d to job %s (%s): %w", c.ID, c.JobID, j.State, ErrJobNotRunning)
	}
	if c.Stage < 0 || c.Stage >= len(j.Stages) || c.Task < 0 || c.Task >= len(j.Stages[c.Stage].Tasks) {
		return fmt.Errorf("assign attempt %d to %s stage %d task %d: %w", c.ID, c.JobID, c.Stage, c.Task, ErrUnknownTask)
	}
	if c.Stage != j.currentStage() {
		return fmt.Errorf("assign attempt %d to %s stage %d task %d: %w", c.ID, c.JobID, c.Stage, c.Task, ErrTaskNotReady)
	}
	t := j.Stages[c.Stage].Tasks[c.Task]
	if t.Done {
		return fmt.Errorf("assign attempt %d to %s stage %d task %d: %w", c.ID, c.JobID, c.Stage, c.Task, ErrTaskDone)
	}
	w, ok := s.Workers[c.Worker]
	if !ok {
		return fmt.Errorf("assign attempt %d to worker %s: %w", c.ID, c.Worker, ErrUnknownWorker)
	}
	if len(s.onWorker[c.Worker]) >= w.Slots {
		return fmt.Errorf("assign attempt %d to worker %s (%d slots): %w", c.ID, c.Worker, w.Slots, ErrWorkerFull)
	}
	for _, a := range t.Attempts {
		if a.Worker == c.Worker && a.State == scheduler.AttemptRunning {
			return fmt.Errorf("assign attempt %d to worker %s: %w", c.ID, c.Worker, ErrWorkerBusy)
		}
	}
	a := &Attempt{
		ID:          c.ID,
		Worker:      c.Worker,
		Start:       c.Time,
		Deadline:    c.Deadline,
		State:       scheduler.AttemptRunning,
		Speculative: c.Speculative,
	}
	t.Attempts = append(t.Attempts, a)
	s.LastAttemptID = c.ID
	s.attempts[c.ID] = attemptRef{job: j, stage: c.Stage, task: c.Task, attemptIndex: len(t.Attempts) - 1}
	s.addRunning(a)
	j.running++
	return nil
}

// runningAttempt returns attempt id if it is still running.
func (s *State) runningAttempt(op string, id uint64) (attemptRef, *Attempt, error) {
	r, ok := s.attempts[id]
	if !ok {
		return attemptRef{}, nil, fmt.Errorf("%s attempt %d: %w", op, id, ErrUnknownAttempt)
	}
	a := r.attempt()
	if a.State != scheduler.AttemptRunning {
		return r, a, fmt.Errorf("%s attempt %d (%s): %w", op, id, a.State, ErrStaleAttempt)
	}
	return r, a, nil
}

// end moves a running attempt to a final state.
func (s *State) end(r attemptRef, a *Attempt, st scheduler.AttemptState, reason string, c Command) {
	a.State, a.Reason = st, reason
	switch c := c.(type) {
	case *CompleteAttempt:
		a.End = c.Time
	case *FailAttempt:
		a.End = c.Time
	}
	s.removeRunning(a)
	r.job.running--
}

// applyCompleteAttempt is first committer wins: the first completion of a
// running attempt of a task not yet done is accepted and names the task's
// result; the task's other running attempts are superseded; every later,
// stale (ended, lost, cancelled) or unknown completion is refused and changes
// nothing.
func (s *State) applyCompleteAttempt(c *CompleteAttempt) error {
	r, a, err := s.runningAttempt("complete", c.ID)
	if err != nil {
		return err
	}
	if r.job.State.Terminal() {
		return fmt.Errorf("complete attempt %d of job %s (%s): %w", c.ID, r.job.ID, r.job.State, ErrJobFinished)
	}
	t := r.taskOf()
	if t.Done {
		// Unreachable while superseding works, kept as the fence's last line.
		return fmt.Errorf("complete attempt %d: %w", c.ID, ErrTaskDone)
	}
	s.end(r, a, scheduler.AttemptSucceeded, "", c)
	a.Result, a.Rows, a.Bytes = c.Result, c.Rows, c.Bytes
	t.Done, t.Winner, t.Result = true, a.ID, c.Result
	r.job.Stages[r.stage].left--
	for _, o := range t.Attempts {
		if o.State == scheduler.AttemptRunning {
			s.end(s.attempts[o.ID], o, scheduler.AttemptSuperseded, fmt.Sprintf("attempt %d completed first", a.ID), c)
		}
	}
	return nil
}

func (s *State) applyFailAttempt(c *FailAttempt) error {
	r, a, err := s.runningAttempt("fail", c.ID)
	if err != nil {
		return err
	}
	st := scheduler.AttemptLost
	switch {
	case c.Cancelled:
		st = scheduler.AttemptCancelled
	case c.Counted:
		st = scheduler.AttemptFailed
	}
	s.end(r, a, st, c.Reason, c)
	return nil
}

// applyRenewLeases is one heartbeat: each listed attempt still running on
// the worker gets its lease moved to the command's deadline (never earlier)
// and its progress recorded (never backwards). Attempts that ended, run
// elsewhere or are unknown are skipped: the worker learns from the
// heartbeat's answer to abort them. A heartbeat that renews nothing is
// refused, so it changes nothing and wakes no one.
func (s *State) applyRenewLeases(c *RenewLeases) error {
	if c.Worker == "" || len(c.Attempts) == 0 {
		return fmt.Errorf("renew leases of worker %q (%d attempts): %w", c.Worker, len(c.Attempts), ErrInvalidCommand)
	}
	renewed := 0
	for _, p := range c.Attempts {
		if _, ok := s.onWorker[c.Worker][p.ID]; !ok {
			continue
		}
		a := s.attempts[p.ID].attempt()
		if c.Deadline.After(a.Deadline) {
			a.Deadline = c.Deadline
		}
		a.Renewed = c.Time
		a.Rows, a.Bytes = max(a.Rows, p.Rows), max(a.Bytes, p.Bytes)
		renewed++
	}
	if renewed == 0 {
		return fmt.Errorf("renew leases of worker %s: none of %d attempts runs there: %w", c.Worker, len(c.Attempts), ErrStaleAttempt)
	}
	return nil
}
