package scheduler

import "time"

// reviewAttempts is pass 1: it ends attempts that cannot go on and counts the
// slots the others hold.
func (p *planner) reviewAttempts() {
	for ji := range p.jobs {
		j := &p.jobs[ji]
		for si := range j.Stages {
			for ti := range j.Stages[si].Tasks {
				t := &j.Stages[si].Tasks[ti]
				for ai := range t.Attempts {
					a := &t.Attempts[ai]
					if a.State != AttemptRunning {
						continue
					}
					p.review(j, a)
				}
			}
		}
	}
	for _, s := range p.workers {
		if s.free > 0 {
			p.free += s.free
		}
	}
}

func (p *planner) review(j *Job, a *Attempt) {
	w, ok := p.byID[a.Worker]
	var kind ActionKind
	var reason string
	switch {
	case j.State.Terminal():
		kind, reason = ActCancelAttempt, "job "+j.State.String()
	case !ok:
		kind, reason = ActLoseAttempt, "worker "+a.Worker+" lost"
	case !p.now.Before(a.Deadline):
		kind, reason = ActLoseAttempt, "lease expired at "+a.Deadline.UTC().Format(time.RFC3339Nano)+" with no heartbeat renewing it"
	}
	if kind == 0 || p.full() {
		// Still running, or left for the next pass: it holds its slot.
		if ok {
			w.free--
		}
		p.wakeAt(a.Deadline)
		return
	}
	st := AttemptLost
	if kind == ActCancelAttempt {
		st = AttemptCancelled
	}
	p.end(kind, j.ID, a.ID, st, reason)
}

func (p *planner) end(kind ActionKind, job string, id uint64, st AttemptState, reason string) {
	p.ended[id] = ended{st, reason}
	p.add(Action{Kind: kind, JobID: job, AttemptID: id, Reason: reason})
}
