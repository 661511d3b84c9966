package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// Driver is the job layer on the leader: it turns a submitted jobs.Spec
// into the FSM's first stage, and whenever every task of a job's stages has
// an accepted completion it asks jobs.Next for the following stage, appends
// it, or finishes the job. It reads the accepted jobs.TaskResult of each
// task from the task's result, which the worker reports as the TaskResult's
// JSON (AttemptReport.result, see WorkerServer.ReportAttempt). Every
// decision it commits goes through raft, so a new leader's driver resumes
// where the old one stopped.
type Driver struct {
	store    *Store
	bucket   objstore.Bucket
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	collected map[string]int // finished jobs: collection passes done (see collect)
	again     time.Duration  // wait before a finished job's second pass
	retention time.Duration  // finished jobs are forgotten this long after they end; 0: never
}

// DefaultCollectAgainAfter is how long after a job ends its prefix is
// collected a second time. An attempt lost while its worker was paused or
// cut off may still write its partial when the worker resumes, before a
// heartbeat tells it the attempt is gone; the first pass, at the end of
// the job, cannot see that object.
const DefaultCollectAgainAfter = time.Minute

// NewDriver returns the driver of store's jobs over bucket. Run wakes on
// every change of the FSM and of leadership; interval (1 s when not
// positive) is only the safety net between them, which also paces retries
// after an error (a dataset manifest that could not be read).
func NewDriver(store *Store, bucket objstore.Bucket, interval time.Duration) *Driver {
	if interval <= 0 {
		interval = time.Second
	}
	return &Driver{store: store, bucket: bucket, log: store.log.With("component", "driver"), interval: interval, now: time.Now,
		collected: map[string]int{}, again: DefaultCollectAgainAfter}
}

// Submit validates a job spec (JSON), pins its dataset version, plans its
// first stage and commits the job. It fails with ErrNotLeader on a
// follower, and with the jobs or dataset error when the spec does not fit.
func (d *Driver) Submit(ctx context.Context, id string, specJSON []byte, priority int) error {
	if err := jobs.ValidateID(id); err != nil {
		return fmt.Errorf("submit job: %w", err)
	}
	spec, err := jobs.ParseSpec(specJSON)
	if err != nil {
		return fmt.Errorf("submit job %s: %w", id, err)
	}
	spec, m, err := jobs.Prepare(ctx, d.bucket, spec)
	if err != nil {
		return fmt.Errorf("submit job %s: %w", id, err)
	}
	first, err := jobs.Plan(jobs.Job{ID: id, Spec: spec}, m)
	if err != nil {
		return fmt.Errorf("submit job %s: %w", id, err)
	}
	pinned, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("submit job %s: %w", id, err)
	}
	cmd := SubmitJob{ID: id, JobType: string(spec.Type), Spec: pinned, Priority: priority, Time: d.now()}
	if first != nil {
		st, err := stageSpec(first)
		if err != nil {
			return fmt.Errorf("submit job %s: %w", id, err)
		}
		cmd.Stages = []StageSpec{st}
	}
	if err := d.store.Apply(cmd); err != nil {
		return fmt.Errorf("submit job %s: %w", id, err)
	}
	return nil
}

// stageSpec encodes a planned stage for the FSM: one TaskSpec JSON payload
// per task.
func stageSpec(s *jobs.Stage) (StageSpec, error) {
	out := StageSpec{Name: s.Name, Tasks: len(s.Tasks), Payloads: make([][]byte, len(s.Tasks))}
	for i := range s.Tasks {
		b, err := json.Marshal(s.Tasks[i])
		if err != nil {
			return StageSpec{}, fmt.Errorf("stage %s task %d: %w", s.Name, i, err)
		}
		out.Payloads[i] = b
	}
	return out, nil
}

// ResultKey returns the key of a succeeded job's result manifest: the
// result of its last stage's single task. ok is false while the job has not
// succeeded.
func ResultKey(j *Job) (key string, ok bool) {
	if j.State != scheduler.JobSucceeded {
		return "", false
	}
	return lastResultKey(j)
}

// lastResultKey returns the result key of j's last stage's single task.
func lastResultKey(j *Job) (key string, ok bool) {
	if len(j.Stages) == 0 {
		return "", false
	}
	last := j.Stages[len(j.Stages)-1]
	if len(last.Tasks) != 1 {
		return "", false
	}
	var r jobs.TaskResult
	if err := json.Unmarshal([]byte(last.Tasks[0].Result), &r); err != nil {
		return "", false
	}
	return r.Key, true
}

// Run drives jobs until ctx ends: while the store leads, it advances each
// running job whose stages are all done, again after every entry that
// changes the FSM, every change of leadership, and at least every interval.
func (d *Driver) Run(ctx context.Context) {
	t := time.NewTicker(d.interval)
	defer t.Stop()
	leading := false
	for {
		// Taken before reading leadership and jobs, so that a change
		// while this pass runs wakes the next one.
		changed := d.store.FSM().Changed()
		leadership := d.store.leadershipChanged()
		switch {
		case !d.store.IsLeader():
			leading = false
		case !leading:
			// A new leader may not have applied the whole log yet: planning
			// from its state would advance jobs that already moved on. The
			// barrier returns once every earlier entry is applied.
			if err := d.store.Barrier(); err != nil {
				d.log.Warn("barrier after becoming leader", "err", err)
				break
			}
			leading = true
			d.Step(ctx)
		default:
			d.Step(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-leadership:
		case <-t.C:
		}
	}
}

// SetCollectAgainAfter sets the wait before a finished job's second
// collection pass (DefaultCollectAgainAfter).
func (d *Driver) SetCollectAgainAfter(wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.again = wait
}

// SetJobRetention sets how long after it ends a finished job stays in the
// replicated state (0, the default: for ever). Past it, and once its
// partials are collected, the leader forgets it (ForgetJobs).
func (d *Driver) SetJobRetention(retention time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retention = retention
}

// Step advances every job ready for its next stage once, collects the
// partial objects of finished jobs once none of their attempts runs any
// more, and forgets the finished jobs past their retention.
func (d *Driver) Step(ctx context.Context) {
	defer d.forget()
	for _, j := range d.store.FSM().Jobs() {
		switch j.State {
		case scheduler.JobFailed, scheduler.JobCancelled, scheduler.JobSucceeded:
			d.collect(ctx, j)
			continue
		}
		if j.State != scheduler.JobRunning || !allDone(j) {
			continue
		}
		if err := d.advance(ctx, j); err != nil {
			if errors.Is(err, ErrNotLeader) || errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return
			}
			d.log.Warn("advance job", "job", j.ID, "err", err)
		}
	}
}

// collect deletes the partial objects of finished job j (and, for an
// import, its unpublished dataset objects) once no attempt of it runs, in
// two passes: at once, and again DefaultCollectAgainAfter (see
// SetCollectAgainAfter) after the job ended, for the partial of an attempt
// lost while its worker was paused, written when it resumed. A pass that
// fails (the store is down) is tried again at the next step. Each driver
// does this per job; a new leader's driver does it again, which finds
// nothing left.
func (d *Driver) collect(ctx context.Context, j *Job) {
	d.mu.Lock()
	passes, again := d.collected[j.ID], d.again
	d.mu.Unlock()
	if passes >= 2 || running(j) || passes == 1 && d.now().Before(j.EndTime.Add(again)) {
		return
	}
	deleted, err := jobs.GC(ctx, d.bucket, j.ID, nil)
	if err != nil {
		d.log.Warn("collect partials of finished job", "job", j.ID, "state", j.State.String(), "err", err)
		return
	}
	if passes == 1 && len(deleted) > 0 {
		d.log.Info("collected late partials of finished job", "job", j.ID, "objects", len(deleted))
	}
	d.mu.Lock()
	d.collected[j.ID] = passes + 1
	d.mu.Unlock()
}

// forget drops the finished jobs past their retention whose partials are
// collected (both passes), oldest first, a bounded number per step.
func (d *Driver) forget() {
	d.mu.Lock()
	retention := d.retention
	d.mu.Unlock()
	if retention <= 0 || !d.store.IsLeader() {
		return
	}
	ids := expired(d.store.FSM().Jobs(), d.now().Add(-retention), func(id string) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.collected[id] >= 2
	})
	if len(ids) == 0 {
		return
	}
	if err := d.store.Apply(ForgetJobs{IDs: ids, Time: d.now()}); err != nil {
		d.log.Warn("forget finished jobs", "jobs", len(ids), "err", err)
		return
	}
	d.log.Info("forgot finished jobs past their retention", "jobs", len(ids), "retention", retention)
	d.mu.Lock()
	for _, id := range ids {
		delete(d.collected, id)
	}
	d.mu.Unlock()
}

// running reports whether an attempt of j still runs.
func running(j *Job) bool {
	for _, st := range j.Stages {
		for _, t := range st.Tasks {
			for _, a := range t.Attempts {
				if a.State == scheduler.AttemptRunning {
					return true
				}
			}
		}
	}
	return false
}

// allDone reports whether j has stages and every task of them is done.
func allDone(j *Job) bool {
	if len(j.Stages) == 0 {
		return false
	}
	for _, st := range j.Stages {
		for _, t := range st.Tasks {
			if !t.Done {
				return false
			}
		}
	}
	return true
}

// advance plans the stage after j's completed ones and commits it, or
// finishes the job. Errors of the store or of reading the dataset manifest
// are returned for a retry; a plan that fails fails the job.
func (d *Driver) advance(ctx context.Context, j *Job) error {
	var spec jobs.Spec
	if err := json.Unmarshal(j.Spec, &spec); err != nil {
		return d.fail(j.ID, fmt.Errorf("decode spec: %w", err))
	}
	m, err := jobs.ManifestFor(ctx, d.bucket, spec)
	if err != nil {
		return err
	}
	st, err := jobState(j, spec, m)
	if err != nil {
		return d.fail(j.ID, err)
	}
	next, err := jobs.Next(st)
	if err != nil {
		return d.fail(j.ID, err)
	}
	if next == nil {
		now := d.now()
		cmds := []Command{FinishJob{JobID: j.ID, State: scheduler.JobSucceeded, Time: now}}
		if c, err := d.published(ctx, j, spec, now); err != nil {
			d.log.Warn("record published version", "job", j.ID, "err", err)
		} else if c != nil {
			cmds = append(cmds, c)
		}
		errs, err := d.store.ApplyBatch(cmds)
		if err != nil {
			return err
		}
		if errs[0] != nil {
			return errs[0]
		}
		if len(errs) > 1 && errs[1] != nil && !errors.Is(errs[1], ErrStaleVersion) {
			d.log.Warn("record published version", "job", j.ID, "err", errs[1])
		}
		// The first collection pass; collect makes the second, and retries
		// this one if it failed.
		if _, err := jobs.GC(ctx, d.bucket, j.ID, nil); err != nil {
			d.log.Warn("collect job partials", "job", j.ID, "err", err)
		} else {
			d.mu.Lock()
			d.collected[j.ID] = max(d.collected[j.ID], 1)
			d.mu.Unlock()
		}
		return nil
	}
	ss, err := stageSpec(next)
	if err != nil {
		return d.fail(j.ID, err)
	}
	return d.store.Apply(AppendStage{JobID: j.ID, Stage: ss, Time: d.now()})
}

// published returns the command recording what succeeded job j
// published, committed with its FinishJob: an import's dataset version
// (SetDatasetVersion) or a model job's model version (PublishModel); nil
// for the other types. A version older than the one recorded (a slower
// concurrent import) is refused by the FSM: versions only grow.
func (d *Driver) published(ctx context.Context, j *Job, spec jobs.Spec, now time.Time) (Command, error) {
	switch spec.Type {
	case jobs.TypeImport:
		key, ok := lastResultKey(j)
		if !ok {
			return nil, fmt.Errorf("import job %s: no result key", j.ID)
		}
		v, err := keyVersion(key, "datasets/"+spec.Dataset+"/")
		if err != nil {
			return nil, fmt.Errorf("import job %s: %w", j.ID, err)
		}
		return SetDatasetVersion{Name: spec.Dataset, Version: v, Time: now}, nil
	case jobs.TypeModel:
		m, err := jobs.LoadResult(ctx, d.bucket, j.ID)
		if err != nil {
			return nil, err
		}
		v, err := keyVersion(m.Model, jobs.ModelRoot+spec.Dataset+"/")
		if err != nil {
			return nil, fmt.Errorf("model job %s: %w", j.ID, err)
		}
		return PublishModel{Name: spec.Dataset, Version: v, Key: m.Model, JobID: j.ID, Time: now}, nil
	}
	return nil, nil
}

// keyVersion returns N of a manifest key prefix + "vN/manifest.json".
func keyVersion(key, prefix string) (int, error) {
	var v int
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, fmt.Errorf("%q is not under %q", key, prefix)
	}
	if _, err := fmt.Sscanf(rest, "v%d/manifest.json", &v); err != nil || v < 1 || rest != fmt.Sprintf("v%d/manifest.json", v) {
		return 0, fmt.Errorf("%q is not a versioned manifest key", key)
	}
	return v, nil
}

// jobState rebuilds what jobs.Next plans from: every stage's task specs
// (the payloads) and accepted results (the winners' reported TaskResults).
func jobState(j *Job, spec jobs.Spec, m *dataset.Manifest) (jobs.State, error) {
	st := jobs.State{Job: jobs.Job{ID: j.ID, Spec: spec}, Manifest: m}
	for _, s := range j.Stages {
		c := jobs.Completed{Stage: jobs.Stage{Name: s.Name, Tasks: make([]jobs.TaskSpec, len(s.Tasks))}, Results: make([]jobs.TaskResult, len(s.Tasks))}
		for i, t := range s.Tasks {
			if err := json.Unmarshal(t.Payload, &c.Stage.Tasks[i]); err != nil {
				return jobs.State{}, fmt.Errorf("stage %s task %d: decode payload: %w", s.Name, i, err)
			}
			if err := json.Unmarshal([]byte(t.Result), &c.Results[i]); err != nil {
				return jobs.State{}, fmt.Errorf("stage %s task %d: decode result: %w", s.Name, i, err)
			}
		}
		st.Stages = append(st.Stages, c)
	}
	return st, nil
}

// fail finishes job id as failed with err as the reason.
func (d *Driver) fail(id string, err error) error {
	if e := d.store.Apply(FinishJob{JobID: id, State: scheduler.JobFailed, Reason: err.Error(), Time: d.now()}); e != nil {
		return fmt.Errorf("fail job %s (%v): %w", id, err, e)
	}
	return nil
}
