package coordinator

import (
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// TestForgetJobs forgets finished jobs: the job and its attempts' index
// entries go, an unknown id is skipped, and a job not finished or with a
// running attempt refuses the whole command.
func TestForgetJobs(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, append(base(),
		step{assign(1, 0, "w1"), nil},
		step{SubmitJob{ID: "k", JobType: "itemsets", Time: t0}, nil},
		// j runs with attempt 1: neither j nor k (queued) may be forgotten.
		step{ForgetJobs{IDs: []string{"j"}, Time: t0}, ErrJobNotFinished},
		step{ForgetJobs{IDs: []string{"k"}, Time: t0}, ErrJobNotFinished},
		step{CancelJob{JobID: "k", Time: t0}, nil},
		// j is still running: the command that names it changes nothing.
		step{ForgetJobs{IDs: []string{"k", "j"}, Time: t0}, ErrJobNotFinished},
	))
	if _, ok := f.Job("k"); !ok {
		t.Fatal("k forgotten by a refused command")
	}
	applyAll(t, f, []step{
		{CompleteAttempt{ID: 1, Result: "r"}, nil},
		{FinishJob{JobID: "j", State: scheduler.JobFailed, Time: t0}, nil},
		{ForgetJobs{IDs: []string{"j", "k", "gone"}, Time: t0.Add(time.Hour)}, nil},
		{ForgetJobs{IDs: []string{"j"}, Time: t0.Add(time.Hour)}, nil}, // replayed: nothing left
	})
	if js := f.Jobs(); len(js) != 0 {
		t.Errorf("jobs after forgetting: got %d; want 0", len(js))
	}
	if _, _, ok := f.Attempt(1); ok {
		t.Error("attempt 1 still indexed after its job was forgotten")
	}
	// A forgotten id may be submitted again.
	applyAll(t, f, []step{{SubmitJob{ID: "j", JobType: "itemsets", Time: t0}, nil}})
}

// TestExpired picks the finished, collected jobs that ended before the
// cutoff, oldest first.
func TestExpired(t *testing.T) {
	end := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	js := []*Job{
		{ID: "new", State: scheduler.JobSucceeded, EndTime: end(10)},
		{ID: "old", State: scheduler.JobFailed, EndTime: end(2)},
		{ID: "older", State: scheduler.JobCancelled, EndTime: end(1)},
		{ID: "running", State: scheduler.JobRunning},
		{ID: "uncollected", State: scheduler.JobSucceeded, EndTime: end(1)},
	}
	got := expired(js, end(5), func(id string) bool { return id != "uncollected" })
	if len(got) != 2 || got[0] != "older" || got[1] != "old" {
		t.Errorf("expired: got %v; want [older old]", got)
	}
}
