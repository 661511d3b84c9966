package scheduler

import (
	"fmt"
	"time"
)

// JobState is the life-cycle state of a job.
type JobState uint8

// The job states. A job is queued until the scheduler admits it, running
// until it succeeds, fails or is cancelled.
const (
	JobQueued JobState = iota
	JobRunning
	JobSucceeded
	JobFailed
	JobCancelled
)

var jobStateNames = [...]string{"queued", "running", "succeeded", "failed", "cancelled"}

// String returns the lowercase name of s.
func (s JobState) String() string {
	if int(s) < len(jobStateNames) {
		return jobStateNames[s]
	}
	return fmt.Sprintf("jobstate(%d)", uint8(s))
}

// Terminal reports whether s is a final state (succeeded, failed, cancelled).
func (s JobState) Terminal() bool { return s >= JobSucceeded }

// AttemptState is the state of one attempt at a task.
type AttemptState uint8

// The attempt states. Only AttemptRunning is live; AttemptFailed is the only
// end that counts against a task's retries.
const (
	AttemptRunning    AttemptState = iota
	AttemptSucceeded               // the first committed completion of its task
	AttemptFailed                  // the task's code failed; counts against retries
	AttemptLost                    // worker lost or lease expired; does not count
	AttemptCancelled               // its job finished or was cancelled
	AttemptSuperseded              // another attempt of its task completed first
)

var attemptStateNames = [...]string{"running", "succeeded", "failed", "lost", "cancelled", "superseded"}

// String returns the lowercase name of s.
func (s AttemptState) String() string {
	if int(s) < len(attemptStateNames) {
		return attemptStateNames[s]
	}
	return fmt.Sprintf("attemptstate(%d)", uint8(s))
}

// Job is the scheduler's read-only view of a job.
type Job struct {
	ID       string
	Type     string // the job type, used in reasons: "itemsets", "segments", …
	Priority int    // higher classes are served first
	Seq      uint64 // submission order; FIFO within a priority class
	State    JobState
	Stages   []Stage // in order; a stage's tasks run once every earlier stage is done
}

// Stage is a named group of tasks of a job.
type Stage struct {
	Name  string
	Tasks []Task
}

// Task is one unit of work of a stage.
type Task struct {
	Done     bool      // an attempt's completion was committed
	Attempts []Attempt // in the order they were assigned
}

// Attempt is one try at a task on one worker. Its ID is the fencing token the
// worker reports its result with.
type Attempt struct {
	ID          uint64
	Worker      string
	Start       time.Time
	Deadline    time.Time // lease deadline, moved on by heartbeats: past it the attempt is presumed lost
	End         time.Time // zero while running
	State       AttemptState
	Speculative bool
	Reason      string // why it ended, for failed, lost and cancelled attempts
}

// Worker is the scheduler's view of a registered worker.
type Worker struct {
	ID       string
	Slots    int // how many attempts it runs at once
	LastSeen time.Time
}

// State is what the scheduler reads. Implementations return values the
// scheduler may not modify and must not change them while Plan runs.
type State interface {
	// Jobs returns every job that is queued or running, and every finished
	// job that still has running attempts, in any order.
	Jobs() []Job
	// Workers returns the registered workers, in any order.
	Workers() []Worker
	// LastAttemptID returns the highest attempt id issued so far.
	LastAttemptID() uint64
}

// ActionKind says what an Action does.
type ActionKind uint8

// The action kinds.
const (
	// ActStartJob admits a queued job: it becomes running.
	ActStartJob ActionKind = iota + 1
	// ActAssign creates attempt AttemptID of a task on Worker.
	ActAssign
	// ActLoseAttempt ends a running attempt without counting it against its
	// task's retries: its worker is gone or its lease expired.
	ActLoseAttempt
	// ActCancelAttempt ends a running attempt of a finished job.
	ActCancelAttempt
	// ActFailJob ends a job as failed, with Reason.
	ActFailJob
)

var actionNames = [...]string{"", "start-job", "assign", "lose-attempt", "cancel-attempt", "fail-job"}

// String returns the name of k.
func (k ActionKind) String() string {
	if int(k) < len(actionNames) && k != 0 {
		return actionNames[k]
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is one decision of a Plan.
type Action struct {
	Kind        ActionKind
	JobID       string
	Stage       int       // stage index, for ActAssign
	Task        int       // task index in the stage, for ActAssign
	AttemptID   uint64    // the new attempt (ActAssign) or the one ended
	Worker      string    // ActAssign
	Deadline    time.Time // ActAssign: the lease deadline
	Speculative bool      // ActAssign: a copy of a straggler
	Reason      string    // ActLoseAttempt, ActCancelAttempt, ActFailJob
}

// Decision is the outcome of one scheduling pass (of Plan): the actions to
// apply, in order, and when to plan again if nothing happens before.
type Decision struct {
	Actions []Action
	// Wake is the earliest instant at which a new pass could decide
	// something different without any event (a back-off or a lease ending,
	// a task becoming a straggler); zero when only events matter.
	Wake time.Time
}
