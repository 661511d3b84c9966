package coordinator

import (
	"fmt"
	"sort"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

func (s *State) applySubmitJob(c *SubmitJob) error {
	if c.ID == "" {
		return fmt.Errorf("submit job: empty id: %w", ErrInvalidCommand)
	}
	if _, ok := s.Jobs[c.ID]; ok {
		return fmt.Errorf("submit job %s: %w", c.ID, ErrJobExists)
	}
	j := &Job{
		ID:         c.ID,
		Type:       c.JobType,
		Spec:       c.Spec,
		Priority:   c.Priority,
		SubmitTime: c.Time,
		State:      scheduler.JobQueued,
		Stages:     []*Stage{},
	}
	for _, spec := range c.Stages {
		if err := j.addStage(spec); err != nil {
			return fmt.Errorf("submit job %s: %w", c.ID, err)
		}
	}
	s.LastJobSeq++
	j.Seq = s.LastJobSeq
	s.Jobs[j.ID] = j
	return nil
}

// maxStageTasks bounds the tasks of one stage, so that a command cannot make
// every replica allocate without bound (or panic) in Apply.
const maxStageTasks = 1 << 20

// addStage validates spec and appends it to j.
func (j *Job) addStage(spec StageSpec) error {
	if spec.Name == "" || spec.Tasks < 0 || spec.Tasks > maxStageTasks || (len(spec.Payloads) != 0 && len(spec.Payloads) != spec.Tasks) {
		return fmt.Errorf("stage %q with %d tasks and %d payloads: %w", spec.Name, spec.Tasks, len(spec.Payloads), ErrInvalidCommand)
	}
	for _, st := range j.Stages {
		if st.Name == spec.Name {
			return fmt.Errorf("stage %q: %w", spec.Name, ErrStageExists)
		}
	}
	st := &Stage{Name: spec.Name, Tasks: make([]*Task, spec.Tasks), left: spec.Tasks}
	for i := range st.Tasks {
		st.Tasks[i] = &Task{}
		if len(spec.Payloads) > 0 {
			st.Tasks[i].Payload = spec.Payloads[i]
		}
	}
	j.Stages = append(j.Stages, st)
	return nil
}

// activeJob returns job id if it exists and has not finished.
func (s *State) activeJob(op, id string) (*Job, error) {
	j, ok := s.Jobs[id]
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", op, id, ErrUnknownJob)
	}
	if j.State.Terminal() {
		return nil, fmt.Errorf("%s %s (%s): %w", op, id, j.State, ErrJobFinished)
	}
	return j, nil
}

func (s *State) applyAppendStage(c *AppendStage) error {
	j, err := s.activeJob("append stage to", c.JobID)
	if err != nil {
		return err
	}
	if err := j.addStage(c.Stage); err != nil {
		return fmt.Errorf("append stage to %s: %w", c.JobID, err)
	}
	return nil
}

func (s *State) applyStartJob(c *StartJob) error {
	j, err := s.activeJob("start job", c.JobID)
	if err != nil {
		return err
	}
	if j.State != scheduler.JobQueued {
		return fmt.Errorf("start job %s (%s): %w", c.JobID, j.State, ErrInvalidCommand)
	}
	j.State = scheduler.JobRunning
	j.StartTime = c.Time
	return nil
}

func (s *State) applyFinishJob(c *FinishJob) error {
	if c.State != scheduler.JobSucceeded && c.State != scheduler.JobFailed {
		return fmt.Errorf("finish job %s as %s: %w", c.JobID, c.State, ErrUnknownJobState)
	}
	j, err := s.activeJob("finish job", c.JobID)
	if err != nil {
		return err
	}
	j.State, j.Reason, j.EndTime = c.State, c.Reason, c.Time
	return nil
}

func (s *State) applyCancelJob(c *CancelJob) error {
	j, err := s.activeJob("cancel job", c.JobID)
	if err != nil {
		return err
	}
	reason := c.Reason
	if reason == "" {
		reason = "cancelled"
	}
	j.State, j.Reason, j.EndTime = scheduler.JobCancelled, reason, c.Time
	return nil
}

func (s *State) applySetWorker(c *SetWorker) error {
	if c.ID == "" || c.Slots < 0 {
		return fmt.Errorf("set worker %q with %d slots: %w", c.ID, c.Slots, ErrInvalidCommand)
	}
	s.Workers[c.ID] = Worker{ID: c.ID, Addr: c.Addr, Slots: c.Slots, LastSeen: c.Time,
		Version: c.Version, Started: c.Started, Registered: c.Registered, Draining: c.Draining}
	return nil
}

func (s *State) applyRemoveWorker(c *RemoveWorker) error {
	if _, ok := s.Workers[c.ID]; !ok {
		return fmt.Errorf("remove worker %s: %w", c.ID, ErrUnknownWorker)
	}
	delete(s.Workers, c.ID)
	return nil
}

func (s *State) applyPublishModel(c *PublishModel) error {
	if c.Name == "" || c.Key == "" {
		return fmt.Errorf("publish model %q at %q: %w", c.Name, c.Key, ErrInvalidCommand)
	}
	if cur, ok := s.Models[c.Name]; ok && c.Version <= cur.Version {
		return fmt.Errorf("publish model %s version %d (current %d): %w", c.Name, c.Version, cur.Version, ErrStaleVersion)
	}
	s.Models[c.Name] = Model{Name: c.Name, Version: c.Version, Key: c.Key, JobID: c.JobID, Time: c.Time}
	return nil
}

func (s *State) applySetDatasetVersion(c *SetDatasetVersion) error {
	if c.Name == "" {
		return fmt.Errorf("set dataset version: empty name: %w", ErrInvalidCommand)
	}
	if cur, ok := s.Datasets[c.Name]; ok && c.Version <= cur.Version {
		return fmt.Errorf("set dataset %s version %d (current %d): %w", c.Name, c.Version, cur.Version, ErrStaleVersion)
	}
	s.Datasets[c.Name] = Dataset{Name: c.Name, Version: c.Version, Time: c.Time}
	return nil
}

// sortJobs orders jobs by submission.
func sortJobs(js []*Job) {
	sort.Slice(js, func(a, b int) bool { return js[a].Seq < js[b].Seq })
}

// sortedValues returns m's values ordered by key(v).
func sortedValues[V any](m map[string]V, key func(V) string) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(a, b int) bool { return key(out[a]) < key(out[b]) })
	return out
}
