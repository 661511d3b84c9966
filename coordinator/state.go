package coordinator

import (
	"encoding/json"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// State is the replicated state: what every coordinator agrees on after
// applying the same log. It is what a snapshot holds. Only the FSM changes
// it, under its lock; readers get copies.
type State struct {
	Datasets map[string]Dataset `json:"datasets"`
	Jobs     map[string]*Job    `json:"jobs"`
	Workers  map[string]Worker  `json:"workers"`
	Models   map[string]Model   `json:"models"`
	// LastAttemptID is the highest attempt id (fencing token) issued.
	LastAttemptID uint64 `json:"last_attempt_id"`
	// LastJobSeq numbers submissions, for FIFO order.
	LastJobSeq uint64 `json:"last_job_seq"`

	// Derived indexes, rebuilt on restore, never serialised.
	attempts map[uint64]attemptRef          // every attempt by id
	onWorker map[string]map[uint64]struct{} // running attempt ids per worker id
}

// attemptRef locates an attempt.
type attemptRef struct {
	job          *Job
	stage, task  int
	attemptIndex int
}

func (r attemptRef) taskOf() *Task     { return r.job.Stages[r.stage].Tasks[r.task] }
func (r attemptRef) attempt() *Attempt { return r.taskOf().Attempts[r.attemptIndex] }

// Dataset is a dataset's current version.
type Dataset struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
}

// Model is a model's latest published version.
type Model struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Key     string    `json:"key"`
	JobID   string    `json:"job,omitempty"`
	Time    time.Time `json:"time"`
}

// Worker is a registered worker as the FSM knows it.
type Worker struct {
	ID       string    `json:"id"`
	Addr     string    `json:"addr,omitempty"`
	Slots    int       `json:"slots"`
	LastSeen time.Time `json:"last_seen"`
	Version  string    `json:"version,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	// Registered is when the worker's current etcd lease was granted.
	Registered time.Time `json:"registered,omitzero"`
	Draining   bool      `json:"draining,omitempty"`
}

// Job is a submitted job.
type Job struct {
	ID         string             `json:"id"`
	Type       string             `json:"type"`
	Spec       json.RawMessage    `json:"spec,omitempty"`
	Priority   int                `json:"priority"`
	Seq        uint64             `json:"seq"`
	SubmitTime time.Time          `json:"submit_time"`
	StartTime  time.Time          `json:"start_time,omitzero"`
	EndTime    time.Time          `json:"end_time,omitzero"`
	State      scheduler.JobState `json:"state"`
	Reason     string             `json:"reason,omitempty"`
	Stages     []*Stage           `json:"stages"`

	running int // running attempts, derived
}

// Stage is a named list of tasks of a job.
type Stage struct {
	Name  string  `json:"name"`
	Tasks []*Task `json:"tasks"`

	left int // tasks not done, derived
}

// Task is one unit of work: its payload, attempts and, once done, the
// accepted attempt and its result.
type Task struct {
	Payload  []byte     `json:"payload,omitempty"`
	Done     bool       `json:"done,omitempty"`
	Winner   uint64     `json:"winner,omitempty"` // the accepted attempt
	Result   string     `json:"result,omitempty"` // the accepted attempt's result (opaque: a jobs.TaskResult as JSON)
	Attempts []*Attempt `json:"attempts,omitempty"`
}

// Attempt is one try at a task on one worker; its ID is the fencing token.
// Its lease ends at Deadline unless a heartbeat (RenewLeases) extends it.
type Attempt struct {
	ID          uint64                 `json:"id"`
	Worker      string                 `json:"worker"`
	Start       time.Time              `json:"start"`
	Deadline    time.Time              `json:"deadline"`
	Renewed     time.Time              `json:"renewed,omitzero"` // the last heartbeat that renewed the lease
	End         time.Time              `json:"end,omitzero"`
	State       scheduler.AttemptState `json:"state"`
	Speculative bool                   `json:"speculative,omitempty"`
	Reason      string                 `json:"reason,omitempty"`
	Result      string                 `json:"result,omitempty"`
	// Rows and Bytes are the input records and bytes read: so far (the
	// last heartbeat) while running, in all once succeeded.
	Rows  int64 `json:"rows,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
}

// StageProgress counts a stage's finished tasks and the input they read.
type StageProgress struct {
	Name  string `json:"name"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
	// Rows and Bytes are the input read by the accepted attempts.
	Rows  int64 `json:"rows,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
	// RunningRows and RunningBytes are the input read so far by the tasks
	// not done yet, as their running attempts last reported it (the
	// furthest attempt of each task).
	RunningRows  int64 `json:"running_rows,omitempty"`
	RunningBytes int64 `json:"running_bytes,omitempty"`
}

// Progress returns per stage the tasks done and total and the input read.
func (j *Job) Progress() []StageProgress {
	out := make([]StageProgress, len(j.Stages))
	for i, st := range j.Stages {
		p := &out[i]
		p.Name, p.Total = st.Name, len(st.Tasks)
		for _, t := range st.Tasks {
			var rows, bytes int64
			for _, a := range t.Attempts {
				switch {
				case t.Done && a.ID == t.Winner:
					p.Rows += a.Rows
					p.Bytes += a.Bytes
				case !t.Done && a.State == scheduler.AttemptRunning:
					rows, bytes = max(rows, a.Rows), max(bytes, a.Bytes)
				}
			}
			if t.Done {
				p.Done++
			}
			p.RunningRows += rows
			p.RunningBytes += bytes
		}
	}
	return out
}

// newState returns an empty state.
func newState() *State {
	s := &State{
		Datasets: map[string]Dataset{},
		Jobs:     map[string]*Job{},
		Workers:  map[string]Worker{},
		Models:   map[string]Model{},
	}
	s.reindex()
	return s
}

// reindex rebuilds the derived indexes from the serialised fields.
func (s *State) reindex() {
	s.attempts = map[uint64]attemptRef{}
	s.onWorker = map[string]map[uint64]struct{}{}
	for _, j := range s.Jobs {
		j.running = 0
		for si, st := range j.Stages {
			st.left = 0
			for ti, t := range st.Tasks {
				if !t.Done {
					st.left++
				}
				for ai, a := range t.Attempts {
					s.attempts[a.ID] = attemptRef{job: j, stage: si, task: ti, attemptIndex: ai}
					if a.State == scheduler.AttemptRunning {
						j.running++
						s.addRunning(a)
					}
				}
			}
		}
	}
}

// addRunning records a running attempt in its worker's index.
func (s *State) addRunning(a *Attempt) {
	ids := s.onWorker[a.Worker]
	if ids == nil {
		ids = map[uint64]struct{}{}
		s.onWorker[a.Worker] = ids
	}
	ids[a.ID] = struct{}{}
}

// removeRunning forgets an attempt that stopped running.
func (s *State) removeRunning(a *Attempt) {
	ids := s.onWorker[a.Worker]
	delete(ids, a.ID)
	if len(ids) == 0 {
		delete(s.onWorker, a.Worker)
	}
}

// clone returns a deep copy of j.
func (j *Job) clone() *Job {
	c := *j
	c.Spec = append(json.RawMessage(nil), j.Spec...)
	c.Stages = make([]*Stage, len(j.Stages))
	for i, st := range j.Stages {
		cs := &Stage{Name: st.Name, Tasks: make([]*Task, len(st.Tasks)), left: st.left}
		for k, t := range st.Tasks {
			ct := *t
			ct.Attempts = make([]*Attempt, len(t.Attempts))
			for m, a := range t.Attempts {
				ca := *a
				ct.Attempts[m] = &ca
			}
			cs.Tasks[k] = &ct
		}
		c.Stages[i] = cs
	}
	return &c
}

// currentStage returns the index of j's first stage with a task not done, or
// -1 when every stage is done.
func (j *Job) currentStage() int {
	for i, st := range j.Stages {
		if st.left > 0 {
			return i
		}
	}
	return -1
}
