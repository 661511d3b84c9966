package coordinator

import (
	"errors"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// lease is what TestRenewLeases expects of one attempt afterwards.
type lease struct {
	deadline    time.Time
	rows, bytes int64
}

func TestRenewLeases(t *testing.T) {
	assigned := t0.Add(time.Minute) // the deadline assign gives
	later, earlier := t0.Add(3*time.Minute), t0.Add(30*time.Second)
	renew := func(worker string, deadline time.Time, ps ...AttemptProgress) RenewLeases {
		return RenewLeases{Worker: worker, Attempts: ps, Deadline: deadline, Time: deadline.Add(-time.Minute)}
	}
	tests := []struct {
		name  string
		steps []step
		want  map[uint64]lease
	}{
		{"invalid", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{renew("", later, AttemptProgress{ID: 1}), ErrInvalidCommand},
			step{renew("w1", later), ErrInvalidCommand},
		), map[uint64]lease{1: {deadline: assigned}}},
		{"extends the worker's running attempts only", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{assign(2, 1, "w2"), nil},
			step{renew("w1", later, AttemptProgress{ID: 1, Rows: 5, Bytes: 50}, AttemptProgress{ID: 2, Rows: 9}, AttemptProgress{ID: 99}), nil},
		), map[uint64]lease{1: {later, 5, 50}, 2: {assigned, 0, 0}}},
		{"never shortens, progress never goes back", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{renew("w1", later, AttemptProgress{ID: 1, Rows: 10, Bytes: 100}), nil},
			step{renew("w1", earlier, AttemptProgress{ID: 1, Rows: 3, Bytes: 300}), nil},
		), map[uint64]lease{1: {later, 10, 300}}},
		{"another worker's attempt", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{renew("w2", later, AttemptProgress{ID: 1}), ErrStaleAttempt},
		), map[uint64]lease{1: {deadline: assigned}}},
		{"lost attempt", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{FailAttempt{ID: 1, Reason: "lease expired", Time: t0}, nil},
			step{renew("w1", later, AttemptProgress{ID: 1}), ErrStaleAttempt},
		), map[uint64]lease{1: {deadline: assigned}}},
		{"completed attempt keeps its final progress", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{renew("w1", later, AttemptProgress{ID: 1, Rows: 4, Bytes: 40}), nil},
			step{CompleteAttempt{ID: 1, Result: "r", Rows: 8, Bytes: 80, Time: t0}, nil},
			step{renew("w1", later.Add(time.Minute), AttemptProgress{ID: 1, Rows: 100}), ErrStaleAttempt},
		), map[uint64]lease{1: {later, 8, 80}}},
		{"unknown attempt", append(base(),
			step{renew("w1", later, AttemptProgress{ID: 7}), ErrStaleAttempt},
		), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFSM()
			applyAll(t, f, tc.steps)
			for id, want := range tc.want {
				a, _, ok := f.Attempt(id)
				if !ok {
					t.Fatalf("attempt %d: not found", id)
				}
				if got := (lease{a.Deadline, a.Rows, a.Bytes}); !got.deadline.Equal(want.deadline) || got.rows != want.rows || got.bytes != want.bytes {
					t.Errorf("attempt %d: got deadline %v, %d rows, %d bytes; want %v, %d, %d",
						id, got.deadline, got.rows, got.bytes, want.deadline, want.rows, want.bytes)
				}
			}
		})
	}
}

// TestRenewedLeaseOutlivesTimeout checks that the scheduler counts the
// lease from the last heartbeat, not from the assignment.
func TestRenewedLeaseOutlivesTimeout(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, append(base(), step{assign(1, 0, "w1"), nil}))
	cfg := scheduler.DefaultConfig()
	cfg.AttemptTimeout = time.Minute
	cfg.SpeculationMultiplier = 0
	now := t0
	for range 5 { // five heartbeats, 50 s apart: 4 min 10 s in all
		now = now.Add(50 * time.Second)
		applyAll(t, f, []step{{RenewLeases{Worker: "w1", Attempts: []AttemptProgress{{ID: 1}}, Deadline: now.Add(cfg.AttemptTimeout), Time: now}, nil}})
		for _, a := range f.Plan(now, cfg).Actions {
			if a.Kind == scheduler.ActLoseAttempt {
				t.Fatalf("at %v: got %v of attempt %d (%s); want it kept", now.Sub(t0), a.Kind, a.AttemptID, a.Reason)
			}
		}
	}
	now = now.Add(cfg.AttemptTimeout) // a whole lease with no heartbeat
	d := f.Plan(now, cfg)
	if len(d.Actions) == 0 || d.Actions[0].Kind != scheduler.ActLoseAttempt || d.Actions[0].AttemptID != 1 {
		t.Fatalf("a lease after the last heartbeat: got %+v; want attempt 1 lost", d.Actions)
	}
}

func TestProgressCountsRowsAndBytes(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, append(base(),
		step{assign(1, 0, "w1"), nil},
		step{assign(2, 1, "w2"), nil},
		step{AssignAttempt{ID: 3, JobID: "j", Task: 1, Worker: "w2", Speculative: true, Deadline: t0.Add(time.Minute), Time: t0}, ErrWorkerBusy},
		step{SetWorker{ID: "w3", Slots: 1, Time: t0}, nil},
		step{AssignAttempt{ID: 3, JobID: "j", Task: 1, Worker: "w3", Speculative: true, Deadline: t0.Add(time.Minute), Time: t0}, nil},
		step{RenewLeases{Worker: "w2", Attempts: []AttemptProgress{{ID: 2, Rows: 3, Bytes: 30}}, Deadline: t0.Add(2 * time.Minute), Time: t0}, nil},
		step{RenewLeases{Worker: "w3", Attempts: []AttemptProgress{{ID: 3, Rows: 5, Bytes: 20}}, Deadline: t0.Add(2 * time.Minute), Time: t0}, nil},
		step{CompleteAttempt{ID: 1, Result: "r1", Rows: 7, Bytes: 70, Time: t0}, nil},
	))
	j, _ := f.Job("j")
	got := j.Progress()[0]
	// Task 0 is done (7 rows, 70 bytes); task 1 runs twice: the furthest
	// copy counts for each measure.
	want := StageProgress{Name: "local", Done: 1, Total: 2, Rows: 7, Bytes: 70, RunningRows: 5, RunningBytes: 30}
	if got != want {
		t.Fatalf("got %+v; want %+v", got, want)
	}
}

func TestRenewLeasesIsAStateChange(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, append(base(), step{assign(1, 0, "w1"), nil}))
	ch := f.Changed()
	if err, _ := f.ApplyCommand(RenewLeases{Worker: "w2", Attempts: []AttemptProgress{{ID: 1}}, Deadline: t0.Add(time.Hour)}).(error); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("renewing another worker's attempt: got %v; want %v", err, ErrStaleAttempt)
	}
	select {
	case <-ch:
		t.Fatal("a refused heartbeat closed Changed; want it open")
	default:
	}
	applyAll(t, f, []step{{RenewLeases{Worker: "w1", Attempts: []AttemptProgress{{ID: 1}}, Deadline: t0.Add(time.Hour)}, nil}})
	select {
	case <-ch:
	default:
		t.Fatal("a heartbeat that renewed a lease left Changed open; want it closed")
	}
}
