package coordinator

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// SetMetrics makes the replica record its raft applies and plans into m
// and lets m's scrape-time families read its state. nil stops recording.
func (s *Store) SetMetrics(m *Metrics) {
	s.metrics.Store(m)
	if m != nil {
		m.state.store.Store(s)
	}
}

// Metrics returns the metrics the replica records into, nil if none.
func (s *Store) Metrics() *Metrics { return s.metrics.Load() }

// countLeaders counts the leaders this replica sees elected into m until
// ctx ends: every leader observation naming a leader in a term not counted
// yet. A leader already known when it starts counts once.
func (s *Store) countLeaders(ctx context.Context, m *Metrics) {
	if m == nil {
		return
	}
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	s.raft.RegisterObserver(obs)
	defer s.raft.DeregisterObserver(obs)
	var lastTerm uint64
	see := func() {
		if id, _ := s.Leader(); id == "" {
			return
		}
		if t := s.raft.CurrentTerm(); t != lastTerm {
			lastTerm = t
			m.leaderChanges.Inc()
		}
	}
	see()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			see()
		}
	}
}

// stateCollector exports, at scrape time, counts read from the FSM and
// raft state of the replica attached with Store.SetMetrics. It reads
// counts only: one pass over the jobs and the current stages.
type stateCollector struct {
	store atomic.Pointer[Store]
}

var (
	descJobs = prometheus.NewDesc("quarry_coordinator_jobs",
		"Jobs in the replicated state, by state and job type.", []string{"state", "type"}, nil)
	descQueue = prometheus.NewDesc("quarry_coordinator_queue_depth",
		"Tasks waiting for a slot: tasks of the current stage of queued and running jobs, not done and with no running attempt.", nil, nil)
	descAttemptsRunning = prometheus.NewDesc("quarry_coordinator_attempts_running",
		"Attempts running on workers.", nil, nil)
	descFSM = prometheus.NewDesc("quarry_coordinator_fsm_objects",
		"Objects held by the replicated state (its size), by kind: jobs, stages, tasks, attempts, workers, datasets, models.", []string{"kind"}, nil)
	descWorkers = prometheus.NewDesc("quarry_coordinator_workers",
		"Workers registered in the replicated state, by state (active, or draining with no slot).", []string{"state"}, nil)
	descSlots = prometheus.NewDesc("quarry_coordinator_slots",
		"Task slots of the registered workers, by state: used (running attempts) and free.", []string{"state"}, nil)
	descRaftState = prometheus.NewDesc("quarry_coordinator_raft_state",
		"1 for this replica's raft state (follower, candidate, leader, shutdown), 0 for the others.", []string{"state"}, nil)
	descRaftTerm = prometheus.NewDesc("quarry_coordinator_raft_term",
		"This replica's current raft term.", nil, nil)
	descRaftIndex = prometheus.NewDesc("quarry_coordinator_raft_index",
		"This replica's raft log indexes, by kind: last (stored), commit, applied (to the FSM).", []string{"kind"}, nil)
)

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobs, descQueue, descAttemptsRunning, descFSM, descWorkers, descSlots, descRaftState, descRaftTerm, descRaftIndex} {
		ch <- d
	}
}

var raftStates = []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown}

var allJobStates = []scheduler.JobState{scheduler.JobQueued, scheduler.JobRunning, scheduler.JobSucceeded, scheduler.JobFailed, scheduler.JobCancelled}

// Collect implements prometheus.Collector. Before a store is attached it
// exports every family at 0.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.Load()
	var n fsmCounts
	state := raft.Shutdown
	var term, last, commit, applied uint64
	if s != nil {
		n = s.fsm.counts()
		state = s.raft.State()
		term, last, commit, applied = s.raft.CurrentTerm(), s.raft.LastIndex(), s.raft.CommitIndex(), s.raft.AppliedIndex()
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	types := map[string]bool{}
	for _, t := range jobTypes {
		types[t] = true
	}
	for k := range n.jobs {
		types[k.typ] = true
	}
	for t := range types {
		for _, st := range allJobStates {
			gauge(descJobs, float64(n.jobs[jobKey{st, t}]), st.String(), t)
		}
	}
	gauge(descQueue, float64(n.pending))
	gauge(descAttemptsRunning, float64(n.running))
	for _, kv := range []struct {
		k string
		v int
	}{{"jobs", n.njobs}, {"stages", n.stages}, {"tasks", n.tasks}, {"attempts", n.attempts}, {"workers", n.workers}, {"datasets", n.datasets}, {"models", n.models}} {
		gauge(descFSM, float64(kv.v), kv.k)
	}
	gauge(descWorkers, float64(n.workers-n.draining), "active")
	gauge(descWorkers, float64(n.draining), "draining")
	gauge(descSlots, float64(n.used), "used")
	gauge(descSlots, float64(n.free), "free")
	for _, rs := range raftStates {
		v := 0.0
		if rs == state && s != nil {
			v = 1
		}
		gauge(descRaftState, v, strings.ToLower(rs.String()))
	}
	gauge(descRaftTerm, float64(term))
	gauge(descRaftIndex, float64(last), "last")
	gauge(descRaftIndex, float64(commit), "commit")
	gauge(descRaftIndex, float64(applied), "applied")
}

// jobKey groups jobs for quarry_coordinator_jobs.
type jobKey struct {
	state scheduler.JobState
	typ   string
}

// fsmCounts are the counts the state collector exports.
type fsmCounts struct {
	jobs                                map[jobKey]int
	njobs, stages, tasks, attempts      int
	workers, draining, datasets, models int
	pending, running, used, free        int
}

// counts reads the collector's counts under the read lock: per job its
// state and, for unfinished jobs, its current stage; the rest are sizes
// of maps and indexes.
func (f *FSM) counts() fsmCounts {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := f.state
	n := fsmCounts{jobs: map[jobKey]int{}, njobs: len(s.Jobs), attempts: len(s.attempts),
		workers: len(s.Workers), datasets: len(s.Datasets), models: len(s.Models)}
	for _, j := range s.Jobs {
		n.jobs[jobKey{j.State, j.Type}]++
		n.stages += len(j.Stages)
		for _, st := range j.Stages {
			n.tasks += len(st.Tasks)
		}
		if j.State.Terminal() {
			continue
		}
		if ci := j.currentStage(); ci >= 0 {
		tasks:
			for _, t := range j.Stages[ci].Tasks {
				if t.Done {
					continue
				}
				for _, a := range t.Attempts {
					if a.State == scheduler.AttemptRunning {
						continue tasks
					}
				}
				n.pending++
			}
		}
	}
	for _, ids := range s.onWorker {
		n.running += len(ids)
	}
	for id, w := range s.Workers {
		used := len(s.onWorker[id])
		if w.Slots == 0 {
			n.draining++
		}
		n.used += used
		n.free += max(w.Slots-used, 0)
	}
	return n
}

// retryCause says whether attempt id is a retry: "failed" or "lost" when
// the task's attempt before it ended so, "" otherwise.
func (f *FSM) retryCause(id uint64) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	r, ok := f.state.attempts[id]
	if !ok || r.attemptIndex == 0 {
		return ""
	}
	switch r.taskOf().Attempts[r.attemptIndex-1].State {
	case scheduler.AttemptFailed:
		return "failed"
	case scheduler.AttemptLost:
		return "lost"
	}
	return ""
}

// attemptLabels returns the job type and stage name of attempt id, and its
// start.
func (f *FSM) attemptLabels(id uint64) (jobType, stage string, start time.Time, ok bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	r, ok := f.state.attempts[id]
	if !ok {
		return "", "", time.Time{}, false
	}
	return r.job.Type, r.job.Stages[r.stage].Name, r.attempt().Start, true
}
