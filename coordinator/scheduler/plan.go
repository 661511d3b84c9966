package scheduler

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Plan decides what to do at instant now over state, following cfg (which
// Plan does not validate: call Config.Validate once when loading it). It is
// deterministic: the same state, instant and policy give the same Decision.
//
// The passes, in order:
//  1. running attempts: those of finished jobs are cancelled; those whose
//     worker is gone (or silent past cfg.WorkerTimeout) or whose lease ended
//     are lost, which frees their task without counting against its retries;
//  2. admission: queued jobs start, highest priority class first and FIFO
//     within a class, while fewer than cfg.MaxRunningJobs run;
//  3. assignment: in the same job order, every task of a job's current stage
//     (the first one not done) with no live attempt gets one on the worker
//     with the most free slots that runs no attempt of it, preferring workers
//     it has not failed on; a task whose last attempt failed waits out an
//     exponential back-off plus hashed jitter; a task out of retries fails
//     its job with a reason naming the task and its last error;
//  4. speculation: with slots still free, a task running alone for longer
//     than cfg.SpeculationMultiplier times the median duration of its
//     stage's finished tasks gets a copy on another worker; whichever
//     attempt commits first wins.
func Plan(state State, now time.Time, cfg Config) Decision {
	p := newPlanner(state, now, cfg)
	p.reviewAttempts()
	p.admit()
	p.assign()
	if cfg.SpeculationMultiplier > 0 {
		p.speculate()
	}
	if p.truncated {
		p.d.Wake = now
	}
	return p.d
}

// planner holds the working copy of one pass.
type planner struct {
	cfg       Config
	now       time.Time
	next      uint64 // last attempt id handed out
	jobs      []Job  // sorted: priority desc, seq asc
	workers   []*slot
	byID      map[string]*slot
	free      int              // free slots on live workers
	ended     map[uint64]ended // attempts ended by this plan
	started   map[string]bool  // jobs admitted by this plan
	failed    map[string]bool  // jobs failed by this plan
	d         Decision
	truncated bool
}

// ended is how this plan ends an attempt.
type ended struct {
	state  AttemptState
	reason string
}

// slot is a worker's capacity during a pass.
type slot struct {
	id   string
	free int
}

func newPlanner(state State, now time.Time, cfg Config) *planner {
	p := &planner{
		cfg:     cfg,
		now:     now,
		next:    state.LastAttemptID(),
		byID:    map[string]*slot{},
		ended:   map[uint64]ended{},
		started: map[string]bool{},
		failed:  map[string]bool{},
	}
	for _, w := range state.Workers() {
		if cfg.WorkerTimeout > 0 && now.Sub(w.LastSeen) > cfg.WorkerTimeout {
			continue
		}
		s := &slot{id: w.ID, free: w.Slots}
		p.workers = append(p.workers, s)
		p.byID[w.ID] = s
	}
	sort.Slice(p.workers, func(i, j int) bool { return p.workers[i].id < p.workers[j].id })
	p.jobs = append([]Job(nil), state.Jobs()...)
	sort.Slice(p.jobs, func(i, j int) bool {
		a, b := &p.jobs[i], &p.jobs[j]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if a.Seq != b.Seq {
			return a.Seq < b.Seq
		}
		return a.ID < b.ID
	})
	return p
}

// full reports whether the plan reached cfg.MaxActions.
func (p *planner) full() bool {
	if len(p.d.Actions) >= p.cfg.MaxActions {
		p.truncated = true
		return true
	}
	return false
}

func (p *planner) add(a Action) { p.d.Actions = append(p.d.Actions, a) }

// wakeAt lowers the decision's wake-up time to t if t is in the future.
func (p *planner) wakeAt(t time.Time) {
	if !t.After(p.now) {
		return
	}
	if p.d.Wake.IsZero() || t.Before(p.d.Wake) {
		p.d.Wake = t
	}
}

// live reports whether attempt a is still running after this plan's actions.
func (p *planner) live(a *Attempt) bool {
	if a.State != AttemptRunning {
		return false
	}
	_, gone := p.ended[a.ID]
	return !gone
}

// running reports whether job j runs after this plan's admissions and
// failures.
func (p *planner) running(j *Job) bool {
	if p.failed[j.ID] {
		return false
	}
	return j.State == JobRunning || p.started[j.ID]
}

// admit is pass 2.
func (p *planner) admit() {
	n := 0
	for i := range p.jobs {
		if p.jobs[i].State == JobRunning {
			n++
		}
	}
	for i := range p.jobs {
		j := &p.jobs[i]
		if j.State != JobQueued || n >= p.cfg.MaxRunningJobs || p.full() {
			continue
		}
		p.started[j.ID] = true
		p.add(Action{Kind: ActStartJob, JobID: j.ID})
		n++
	}
}

// currentStage returns the index of j's first stage with a task not done, or
// -1 when every stage is done.
func currentStage(j *Job) int {
	for si := range j.Stages {
		for ti := range j.Stages[si].Tasks {
			if !j.Stages[si].Tasks[ti].Done {
				return si
			}
		}
	}
	return -1
}

// taskName names a task in reasons: type/stage/index.
func taskName(j *Job, si, ti int) string {
	kind := j.Type
	if kind == "" {
		kind = j.ID
	}
	return kind + "/" + j.Stages[si].Name + "/" + strconv.Itoa(ti)
}

// assign is pass 3.
func (p *planner) assign() {
	for ji := range p.jobs {
		j := &p.jobs[ji]
		if !p.running(j) {
			continue
		}
		si := currentStage(j)
		if si < 0 {
			continue
		}
		for ti := range j.Stages[si].Tasks {
			if p.assignTask(j, si, ti) {
				break
			}
		}
	}
}

// assignTask gives task ti of stage si of j an attempt if it needs one. It
// reports whether the pass should leave the job (it failed, or the plan is
// full).
func (p *planner) assignTask(j *Job, si, ti int) (leave bool) {
	t := &j.Stages[si].Tasks[ti]
	if t.Done {
		return false
	}
	failures, lost := 0, 0
	var last *lastEnd
	for ai := range t.Attempts {
		a := &t.Attempts[ai]
		if p.live(a) {
			return false
		}
		st, reason := a.State, a.Reason
		if e, ok := p.ended[a.ID]; ok {
			st, reason = e.state, e.reason
		}
		switch st {
		case AttemptFailed:
			failures++
		case AttemptLost:
			lost++
		}
		if st == AttemptFailed || st == AttemptLost {
			last = &lastEnd{state: st, reason: reason, end: a.End, id: a.ID}
		}
	}
	if failures >= p.cfg.MaxAttempts || lost >= p.cfg.MaxLost {
		if p.full() {
			return true
		}
		verb, n := "failed", failures
		if failures < p.cfg.MaxAttempts {
			verb, n = "was lost", lost
		}
		reason := fmt.Sprintf("task %s %s %d times: last error: %s", taskName(j, si, ti), verb, n, p.reasonOf(last))
		p.failJob(j, reason)
		return true
	}
	if last != nil && last.state == AttemptFailed {
		ready := last.end.Add(p.backoff(j.ID, si, ti, last.id, failures))
		if p.now.Before(ready) {
			p.wakeAt(ready)
			return false
		}
	}
	if p.free == 0 {
		return false
	}
	w := p.pickWorker(t)
	if w == nil {
		return false
	}
	if p.full() {
		return true
	}
	p.give(j, si, ti, w, false)
	return false
}

// lastEnd is the last failed or lost attempt of a task.
type lastEnd struct {
	state  AttemptState
	reason string
	end    time.Time
	id     uint64
}

func (p *planner) reasonOf(a *lastEnd) string {
	if a == nil || a.reason == "" {
		return "no reason given"
	}
	return a.reason
}

// failJob fails j now and cancels its live attempts, as many as fit in the
// plan: the next pass cancels the rest (their job has finished).
func (p *planner) failJob(j *Job, reason string) {
	p.failed[j.ID] = true
	p.add(Action{Kind: ActFailJob, JobID: j.ID, Reason: reason})
	for si := range j.Stages {
		for ti := range j.Stages[si].Tasks {
			for ai := range j.Stages[si].Tasks[ti].Attempts {
				a := &j.Stages[si].Tasks[ti].Attempts[ai]
				if p.live(a) {
					if p.full() {
						return
					}
					p.end(ActCancelAttempt, j.ID, a.ID, AttemptCancelled, "job failed")
					if w := p.byID[a.Worker]; w != nil {
						w.free++
						p.free++
					}
				}
			}
		}
	}
}

// give assigns a new attempt of task ti of stage si of j to w.
func (p *planner) give(j *Job, si, ti int, w *slot, speculative bool) {
	p.next++
	w.free--
	p.free--
	p.add(Action{
		Kind:        ActAssign,
		JobID:       j.ID,
		Stage:       si,
		Task:        ti,
		AttemptID:   p.next,
		Worker:      w.id,
		Deadline:    p.now.Add(p.cfg.AttemptTimeout),
		Speculative: speculative,
	})
}

// pickWorker returns the worker with the most free slots that runs no live
// attempt of t, preferring workers t has not failed or been
// lost on; ties go to the lowest id. It returns nil when none fits.
func (p *planner) pickWorker(t *Task) *slot {
	var best, fallback *slot
	for _, w := range p.workers {
		if w.free <= 0 {
			continue
		}
		busy, tried := false, false
		for ai := range t.Attempts {
			a := &t.Attempts[ai]
			if a.Worker != w.id {
				continue
			}
			if p.live(a) {
				busy = true
				break
			}
			tried = true
		}
		if busy {
			continue
		}
		if tried {
			if fallback == nil || w.free > fallback.free {
				fallback = w
			}
			continue
		}
		if best == nil || w.free > best.free {
			best = w
		}
	}
	if best != nil {
		return best
	}
	return fallback
}
