package scheduler

import (
	"math"
	"sort"
	"time"
)

// speculate is pass 4: with slots still free, it copies the stragglers of
// every running job's current stage.
func (p *planner) speculate() {
	for ji := range p.jobs {
		if p.free <= 0 {
			return
		}
		j := &p.jobs[ji]
		if !p.running(j) {
			continue
		}
		si := currentStage(j)
		if si < 0 {
			continue
		}
		limit, ok := p.stragglerLimit(&j.Stages[si])
		if !ok {
			continue
		}
		for ti := range j.Stages[si].Tasks {
			t := &j.Stages[si].Tasks[ti]
			if t.Done {
				continue
			}
			only := p.loneAttempt(t)
			if only == nil {
				continue
			}
			if due := only.Start.Add(limit); p.now.Before(due) {
				p.wakeAt(due)
				continue
			}
			w := p.pickWorker(t)
			if w == nil {
				continue
			}
			if p.full() {
				return
			}
			p.give(j, si, ti, w, true)
			if p.free <= 0 {
				return
			}
		}
	}
}

// stragglerLimit returns how long a task of stage st may run before it is
// copied: the multiplier times the median duration of the finished tasks,
// at least cfg.SpeculationMinRuntime. ok is false while too few tasks have
// finished to tell.
func (p *planner) stragglerLimit(st *Stage) (limit time.Duration, ok bool) {
	var ds []time.Duration
	for ti := range st.Tasks {
		t := &st.Tasks[ti]
		if !t.Done {
			continue
		}
		for ai := range t.Attempts {
			if a := &t.Attempts[ai]; a.State == AttemptSucceeded {
				ds = append(ds, a.End.Sub(a.Start))
				break
			}
		}
	}
	need := int(math.Ceil(p.cfg.SpeculationQuantile * float64(len(st.Tasks))))
	if len(ds) == 0 || len(ds) < need {
		return 0, false
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	median := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		median = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	limit = time.Duration(p.cfg.SpeculationMultiplier * float64(median))
	if limit < p.cfg.SpeculationMinRuntime {
		limit = p.cfg.SpeculationMinRuntime
	}
	return limit, true
}

// loneAttempt returns t's only live attempt, or nil when t has none or
// already has a copy running.
func (p *planner) loneAttempt(t *Task) *Attempt {
	var only *Attempt
	for ai := range t.Attempts {
		a := &t.Attempts[ai]
		if !p.live(a) {
			continue
		}
		if only != nil {
			return nil
		}
		only = a
	}
	return only
}
