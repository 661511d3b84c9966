package coordinator

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// Errors the FSM answers commands with. A rejected command changes nothing.
var (
	ErrUnknownMessage  = errors.New("unknown message type")
	ErrEmptyEntry      = errors.New("empty log entry")
	ErrTruncatedEntry  = errors.New("truncated log entry")
	ErrNestedBatch     = errors.New("batch inside a batch")
	ErrInvalidCommand  = errors.New("invalid command")
	ErrJobExists       = errors.New("job already exists")
	ErrUnknownJob      = errors.New("unknown job")
	ErrJobFinished     = errors.New("job already finished")
	ErrJobNotRunning   = errors.New("job not running")
	ErrStageExists     = errors.New("stage already exists")
	ErrUnknownTask     = errors.New("unknown task")
	ErrTaskNotReady    = errors.New("task not in the job's current stage")
	ErrTaskDone        = errors.New("task already done")
	ErrUnknownWorker   = errors.New("unknown worker")
	ErrWorkerFull      = errors.New("worker has no free slot")
	ErrWorkerBusy      = errors.New("worker already runs an attempt of the task")
	ErrUnknownAttempt  = errors.New("unknown attempt")
	ErrStaleAttemptID  = errors.New("attempt id not above the last one issued")
	ErrStaleAttempt    = errors.New("attempt no longer running")
	ErrStaleVersion    = errors.New("version not above the current one")
	ErrUnknownJobState = errors.New("finish state must be succeeded or failed")
)

// FSM is the replicated state machine: raft hands it committed entries in
// log order, and every replica reaches the same State. It implements
// raft.FSM. Apply uses only the entry: no clock, no randomness, no I/O.
type FSM struct {
	mu    sync.RWMutex
	state *State
	// changed, if set, is called (outside the lock) after every applied
	// entry; the leader loop uses it to plan again on events.
	changed func()

	// next is the channel Changed hands out, closed and forgotten after
	// the next entry that changes the state; nil while no one asked.
	nextMu sync.Mutex
	next   chan struct{}
}

// NewFSM returns an FSM over an empty state.
func NewFSM() *FSM {
	return &FSM{state: newState()}
}

// Apply implements raft.FSM. It returns the command's outcome: nil or an
// error for a single command, a []error (one per command) for a batch, or
// the decoding error.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	return f.applyEntry(l.Data)
}

// ApplyCommand encodes cmd and applies it directly, without raft: for tests
// and tools that drive an FSM by hand.
func (f *FSM) ApplyCommand(cmd Command) any {
	b, err := Encode(cmd)
	if err != nil {
		return err
	}
	return f.applyEntry(b)
}

func (f *FSM) applyEntry(data []byte) any {
	cmd, err := Decode(data)
	if err != nil {
		return err
	}
	var out any
	accepted := false
	f.mu.Lock()
	if b, ok := cmd.(Batch); ok {
		errs := make([]error, len(b))
		for i, c := range b {
			errs[i] = f.apply(c)
			accepted = accepted || errs[i] == nil
		}
		out = errs
	} else if err := f.apply(cmd); err != nil {
		out = err
	} else {
		accepted = true
	}
	f.mu.Unlock()
	if accepted {
		f.notify()
	}
	if f.changed != nil {
		f.changed()
	}
	return out
}

// Changed returns a channel that is closed right after the next applied
// entry that changes the state (a command, or a batch with at least one
// command, that the FSM accepted) or the next Restore. Take it before
// reading the state and wait on it after: a change in between is not
// missed. Rejected commands change nothing and close nothing. It costs
// nothing while no one asks.
func (f *FSM) Changed() <-chan struct{} {
	f.nextMu.Lock()
	defer f.nextMu.Unlock()
	if f.next == nil {
		f.next = make(chan struct{})
	}
	return f.next
}

// notify closes the channel Changed handed out, if any. The state change
// is visible to readers by then: it was made under the write lock.
func (f *FSM) notify() {
	f.nextMu.Lock()
	defer f.nextMu.Unlock()
	if f.next != nil {
		close(f.next)
		f.next = nil
	}
}

// apply dispatches one decoded command to its applyX.
func (f *FSM) apply(cmd Command) error {
	s := f.state
	switch c := cmd.(type) {
	case *SubmitJob:
		return s.applySubmitJob(c)
	case *AppendStage:
		return s.applyAppendStage(c)
	case *StartJob:
		return s.applyStartJob(c)
	case *FinishJob:
		return s.applyFinishJob(c)
	case *CancelJob:
		return s.applyCancelJob(c)
	case *AssignAttempt:
		return s.applyAssignAttempt(c)
	case *CompleteAttempt:
		return s.applyCompleteAttempt(c)
	case *FailAttempt:
		return s.applyFailAttempt(c)
	case *SetWorker:
		return s.applySetWorker(c)
	case *RemoveWorker:
		return s.applyRemoveWorker(c)
	case *PublishModel:
		return s.applyPublishModel(c)
	case *SetDatasetVersion:
		return s.applySetDatasetVersion(c)
	case *RenewLeases:
		return s.applyRenewLeases(c)
	case *ForgetJobs:
		return s.applyForgetJobs(c)
	}
	return fmt.Errorf("apply %T: %w", cmd, ErrUnknownMessage)
}

// Snapshot implements raft.FSM. raft calls it on the FSM goroutine, so no
// Apply runs meanwhile; the state is serialised here and written by Persist.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := marshalSnapshot(f.state)
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{data: b}, nil
}

// Restore implements raft.FSM: it replaces the state with a snapshot's.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	s, err := readSnapshot(rc)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.state = s
	f.mu.Unlock()
	f.notify()
	if f.changed != nil {
		f.changed()
	}
	return nil
}

// Job returns a copy of job id.
func (f *FSM) Job(id string) (*Job, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	j, ok := f.state.Jobs[id]
	if !ok {
		return nil, false
	}
	return j.clone(), true
}

// Jobs returns copies of every job, in submission order.
func (f *FSM) Jobs() []*Job {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]*Job, 0, len(f.state.Jobs))
	for _, j := range f.state.Jobs {
		out = append(out, j.clone())
	}
	sortJobs(out)
	return out
}

// Workers returns the registered workers, by id.
func (f *FSM) Workers() []Worker {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return sortedValues(f.state.Workers, func(w Worker) string { return w.ID })
}

// Datasets returns the datasets' current versions, by name.
func (f *FSM) Datasets() []Dataset {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return sortedValues(f.state.Datasets, func(d Dataset) string { return d.Name })
}

// Models returns the models' latest published versions, by name.
func (f *FSM) Models() []Model {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return sortedValues(f.state.Models, func(m Model) string { return m.Name })
}

// Attempt returns a copy of attempt id and the job it belongs to.
func (f *FSM) Attempt(id uint64) (a Attempt, jobID string, ok bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	r, ok := f.state.attempts[id]
	if !ok {
		return Attempt{}, "", false
	}
	return *r.attempt(), r.job.ID, true
}

// LastAttemptID returns the highest attempt id issued.
func (f *FSM) LastAttemptID() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.state.LastAttemptID
}

// Marshal returns the state as the canonical JSON a snapshot holds: two
// FSMs with equal states give equal bytes.
func (f *FSM) Marshal() ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return marshalSnapshot(f.state)
}

// Plan runs the scheduler over the current state, under the read lock.
func (f *FSM) Plan(now time.Time, cfg scheduler.Config) scheduler.Decision {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return scheduler.Plan(view{f.state}, now, cfg)
}
