package coordinator

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// ErrJobNotFinished refuses to forget a job that is not finished or whose
// attempts still run.
var ErrJobNotFinished = errors.New("job not finished")

// ForgetJobs drops finished jobs from the replicated state, so that it
// (and every snapshot) stays bounded on a long-running cluster. Results in
// the store stay: forgetting a job forgets its status, stages and attempts,
// and frees its id for a new submission.
type ForgetJobs struct {
	IDs  []string  `json:"ids"`
	Time time.Time `json:"time"`
}

// Type implements Command.
func (ForgetJobs) Type() MessageType { return MsgForgetJobs }

// DefaultJobRetention is how long a finished job stays in the replicated
// state before the leader forgets it.
const DefaultJobRetention = 7 * 24 * time.Hour

// applyForgetJobs forgets each job of c; an id already unknown is skipped
// (a command replayed after a snapshot), a job that is not finished or has
// a running attempt refuses the whole command.
func (s *State) applyForgetJobs(c *ForgetJobs) error {
	for _, id := range c.IDs {
		j, ok := s.Jobs[id]
		if !ok {
			continue
		}
		if !finished(j.State) || running(j) {
			return fmt.Errorf("forget job %s (%s): %w", id, j.State, ErrJobNotFinished)
		}
	}
	for _, id := range c.IDs {
		j, ok := s.Jobs[id]
		if !ok {
			continue
		}
		for _, st := range j.Stages {
			for _, t := range st.Tasks {
				for _, a := range t.Attempts {
					delete(s.attempts, a.ID)
				}
			}
		}
		delete(s.Jobs, id)
	}
	return nil
}

// finished reports whether a job in state st has ended.
func finished(st scheduler.JobState) bool {
	return st == scheduler.JobSucceeded || st == scheduler.JobFailed || st == scheduler.JobCancelled
}

// maxForget caps the jobs one ForgetJobs command names, to keep one raft
// entry small.
const maxForget = 256

// expired returns the ids of the jobs that ended before cutoff, have no
// running attempt and are in done (their partials collected), oldest
// first, at most maxForget.
func expired(js []*Job, cutoff time.Time, done func(id string) bool) []string {
	var old []*Job
	for _, j := range js {
		if finished(j.State) && !j.EndTime.IsZero() && j.EndTime.Before(cutoff) && !running(j) && done(j.ID) {
			old = append(old, j)
		}
	}
	slices.SortFunc(old, func(a, b *Job) int { return a.EndTime.Compare(b.EndTime) })
	ids := make([]string, 0, min(len(old), maxForget))
	for _, j := range old[:min(len(old), maxForget)] {
		ids = append(ids, j.ID)
	}
	return ids
}
