package coordinator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// step is one command and the error the FSM must answer it with.
type step struct {
	cmd  Command
	want error
}

// applyAll applies steps in order to f and checks every answer.
func applyAll(t *testing.T, f *FSM, steps []step) {
	t.Helper()
	for i, s := range steps {
		got, _ := f.ApplyCommand(s.cmd).(error)
		if !errors.Is(got, s.want) || (got == nil) != (s.want == nil) {
			t.Fatalf("step %d %T: got %v; want %v", i, s.cmd, got, s.want)
		}
	}
}

// base registers two workers and a running job "j" with one stage of two
// tasks.
func base() []step {
	return []step{
		{SetWorker{ID: "w1", Slots: 1, Time: t0}, nil},
		{SetWorker{ID: "w2", Slots: 2, Time: t0}, nil},
		{SubmitJob{ID: "j", JobType: "itemsets", Stages: []StageSpec{{Name: "local", Tasks: 2}}, Time: t0}, nil},
		{StartJob{JobID: "j", Time: t0}, nil},
	}
}

func assign(id uint64, task int, worker string) AssignAttempt {
	return AssignAttempt{ID: id, JobID: "j", Task: task, Worker: worker, Deadline: t0.Add(time.Minute), Time: t0}
}

func TestFSMCommands(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"duplicate job", []step{
			{SubmitJob{ID: "j", Time: t0}, nil},
			{SubmitJob{ID: "j", Time: t0}, ErrJobExists},
			{SubmitJob{Time: t0}, ErrInvalidCommand},
		}},
		{"bad stages", []step{
			{SubmitJob{ID: "a", Stages: []StageSpec{{Name: "", Tasks: 1}}}, ErrInvalidCommand},
			{SubmitJob{ID: "b", Stages: []StageSpec{{Name: "s", Tasks: 2, Payloads: [][]byte{nil}}}}, ErrInvalidCommand},
			{SubmitJob{ID: "c", Stages: []StageSpec{{Name: "s", Tasks: 1}, {Name: "s", Tasks: 1}}}, ErrStageExists},
			{AppendStage{JobID: "nope", Stage: StageSpec{Name: "s"}}, ErrUnknownJob},
		}},
		{"stage too large", []step{ // used to panic in make on every replica
			{SubmitJob{ID: "a", Stages: []StageSpec{{Name: "s", Tasks: 1 << 62}}}, ErrInvalidCommand},
			{SubmitJob{ID: "b", Stages: []StageSpec{{Name: "s", Tasks: maxStageTasks + 1}}}, ErrInvalidCommand},
			{SubmitJob{ID: "c"}, nil},
			{AppendStage{JobID: "c", Stage: StageSpec{Name: "s", Tasks: 1 << 62}}, ErrInvalidCommand},
		}},
		{"job life cycle", []step{
			{SubmitJob{ID: "j", Time: t0}, nil},
			{FinishJob{JobID: "j", State: scheduler.JobRunning}, ErrUnknownJobState},
			{StartJob{JobID: "j", Time: t0}, nil},
			{StartJob{JobID: "j", Time: t0}, ErrInvalidCommand},
			{AppendStage{JobID: "j", Stage: StageSpec{Name: "round1", Tasks: 3}}, nil},
			{FinishJob{JobID: "j", State: scheduler.JobSucceeded, Time: t0}, nil},
			{FinishJob{JobID: "j", State: scheduler.JobFailed, Time: t0}, ErrJobFinished},
			{CancelJob{JobID: "j", Time: t0}, ErrJobFinished},
			{AppendStage{JobID: "j", Stage: StageSpec{Name: "round2", Tasks: 3}}, ErrJobFinished},
			{CancelJob{JobID: "x", Time: t0}, ErrUnknownJob},
		}},
		{"assign checks", append(base(),
			step{AssignAttempt{ID: 1, JobID: "nope", Worker: "w1"}, ErrUnknownJob},
			step{AssignAttempt{ID: 1, JobID: "j", Task: 5, Worker: "w1"}, ErrUnknownTask},
			step{assign(1, 0, "w9"), ErrUnknownWorker},
			step{assign(1, 0, "w1"), nil},
			step{assign(1, 1, "w2"), ErrStaleAttemptID},
			step{assign(2, 1, "w1"), ErrWorkerFull},
			step{assign(2, 0, "w2"), nil},
			step{assign(3, 0, "w2"), ErrWorkerBusy},
			step{CompleteAttempt{ID: 1, Result: "r1"}, nil},
			step{assign(3, 0, "w1"), ErrTaskDone},
		)},
		{"assign to a queued job", []step{
			{SetWorker{ID: "w1", Slots: 1}, nil},
			{SubmitJob{ID: "j", Stages: []StageSpec{{Name: "s", Tasks: 1}}}, nil},
			{assign(1, 0, "w1"), ErrJobNotRunning},
		}},
		{"later stage waits", []step{
			{SetWorker{ID: "w1", Slots: 1}, nil},
			{SubmitJob{ID: "j", Stages: []StageSpec{{Name: "a", Tasks: 1}, {Name: "b", Tasks: 1}}}, nil},
			{StartJob{JobID: "j"}, nil},
			{AssignAttempt{ID: 1, JobID: "j", Stage: 1, Worker: "w1"}, ErrTaskNotReady},
		}},
		{"first committer wins", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{AssignAttempt{ID: 2, JobID: "j", Task: 0, Worker: "w2", Speculative: true}, nil},
			step{CompleteAttempt{ID: 2, Result: "attempts/2"}, nil},
			step{CompleteAttempt{ID: 1, Result: "attempts/1"}, ErrStaleAttempt},
			step{CompleteAttempt{ID: 2, Result: "again"}, ErrStaleAttempt},
			step{CompleteAttempt{ID: 99, Result: "x"}, ErrUnknownAttempt},
			step{FailAttempt{ID: 1, Reason: "late"}, ErrStaleAttempt},
		)},
		{"lost attempt is fenced off", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{FailAttempt{ID: 1, Reason: "lease expired"}, nil},
			step{assign(2, 0, "w2"), nil},
			step{CompleteAttempt{ID: 1, Result: "paused worker"}, ErrStaleAttempt},
			step{CompleteAttempt{ID: 2, Result: "attempts/2"}, nil},
		)},
		{"completion after cancel", append(base(),
			step{assign(1, 0, "w1"), nil},
			step{CancelJob{JobID: "j"}, nil},
			step{CompleteAttempt{ID: 1, Result: "x"}, ErrJobFinished},
			step{FailAttempt{ID: 1, Cancelled: true, Reason: "job cancelled"}, nil},
		)},
		{"workers", []step{
			{SetWorker{ID: "", Slots: 1}, ErrInvalidCommand},
			{SetWorker{ID: "w", Slots: -1}, ErrInvalidCommand},
			{SetWorker{ID: "w", Slots: 1}, nil},
			{SetWorker{ID: "w", Slots: 3}, nil},
			{RemoveWorker{ID: "w"}, nil},
			{RemoveWorker{ID: "w"}, ErrUnknownWorker},
		}},
		{"versions only grow", []step{
			{PublishModel{Name: "m", Version: 1, Key: "models/m/1"}, nil},
			{PublishModel{Name: "m", Version: 1, Key: "models/m/1"}, ErrStaleVersion},
			{PublishModel{Name: "m", Version: 2}, ErrInvalidCommand},
			{PublishModel{Name: "m", Version: 2, Key: "models/m/2"}, nil},
			{SetDatasetVersion{Name: "d", Version: 4}, nil},
			{SetDatasetVersion{Name: "d", Version: 3}, ErrStaleVersion},
			{SetDatasetVersion{Name: "", Version: 5}, ErrInvalidCommand},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			applyAll(t, NewFSM(), tc.steps)
		})
	}
}

func TestFirstCommitterWinsState(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, append(base(),
		step{assign(1, 0, "w1"), nil},
		step{AssignAttempt{ID: 2, JobID: "j", Task: 0, Worker: "w2", Speculative: true, Time: t0}, nil},
		step{CompleteAttempt{ID: 2, Result: "attempts/2", Time: t0.Add(time.Second)}, nil},
		step{CompleteAttempt{ID: 1, Result: "attempts/1", Time: t0.Add(2 * time.Second)}, ErrStaleAttempt},
	))
	j, _ := f.Job("j")
	task := j.Stages[0].Tasks[0]
	if !task.Done || task.Winner != 2 || task.Result != "attempts/2" {
		t.Fatalf("task: got done=%v winner=%d result=%q; want done by attempt 2 with attempts/2", task.Done, task.Winner, task.Result)
	}
	if a := task.Attempts[0]; a.State != scheduler.AttemptSuperseded || !a.End.Equal(t0.Add(time.Second)) {
		t.Fatalf("attempt 1: got %s ended %v; want superseded at the winner's commit", a.State, a.End)
	}
	if got := j.Progress(); got[0].Done != 1 || got[0].Total != 2 {
		t.Fatalf("progress: got %+v; want 1 of 2", got)
	}
	// Both slots are free again: w1 takes task 1, w2 takes it nowhere else.
	applyAll(t, f, []step{{assign(3, 1, "w1"), nil}})
}

func TestBatchAppliesEachCommand(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, base())
	errs := f.ApplyCommand(Batch{assign(1, 0, "w1"), assign(1, 1, "w2"), assign(2, 1, "w2")}).([]error)
	if errs[0] != nil || !errors.Is(errs[1], ErrStaleAttemptID) || errs[2] != nil {
		t.Fatalf("got %v; want [nil ErrStaleAttemptID nil]", errs)
	}
	if got := f.LastAttemptID(); got != 2 {
		t.Fatalf("last attempt id: got %d; want 2", got)
	}
}

func TestFSMReads(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, append(base(),
		step{SubmitJob{ID: "k", Time: t0}, nil},
		step{PublishModel{Name: "m", Version: 1, Key: "k1"}, nil},
		step{SetDatasetVersion{Name: "d", Version: 1}, nil},
	))
	if js := f.Jobs(); len(js) != 2 || js[0].ID != "j" || js[1].ID != "k" {
		t.Fatalf("jobs: got %d; want j then k", len(js))
	}
	if ws := f.Workers(); len(ws) != 2 || ws[0].ID != "w1" {
		t.Fatalf("workers: got %+v; want w1, w2", ws)
	}
	if ms, ds := f.Models(), f.Datasets(); len(ms) != 1 || len(ds) != 1 {
		t.Fatalf("models %v datasets %v; want one each", ms, ds)
	}
	// Copies: changing one does not change the FSM.
	j, _ := f.Job("j")
	j.Stages[0].Tasks[0].Done = true
	if again, _ := f.Job("j"); again.Stages[0].Tasks[0].Done {
		t.Fatal("Job returned shared state; want a copy")
	}
}

// closed reports whether ch is closed, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestChanged(t *testing.T) {
	f := NewFSM()
	applyAll(t, f, base())
	tests := []struct {
		name string
		cmd  Command
		want bool // the channel closes
	}{
		{"refused command", StartJob{JobID: "nope", Time: t0}, false},
		{"accepted command", assign(1, 0, "w1"), true},
		{"batch all refused", Batch{assign(1, 1, "w2"), StartJob{JobID: "nope"}}, false},
		{"batch one accepted", Batch{assign(1, 1, "w2"), assign(2, 1, "w2")}, true},
		{"undecodable entry", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := f.Changed()
			if again := f.Changed(); again != ch {
				t.Fatal("Changed twice before a change: got two channels; want one")
			}
			if tc.cmd == nil {
				f.applyEntry([]byte{byte(MsgSubmitJob), '{'})
			} else {
				f.ApplyCommand(tc.cmd)
			}
			if got := closed(ch); got != tc.want {
				t.Fatalf("closed after the entry: got %v; want %v", got, tc.want)
			}
			if tc.want && closed(f.Changed()) {
				t.Fatal("Changed after a change: got a closed channel; want a fresh one")
			}
		})
	}
	t.Run("restore", func(t *testing.T) {
		ch := f.Changed()
		snap := NewFSM()
		if err := snap.Restore(io.NopCloser(bytes.NewReader(snapshotBytes(t, f)))); err != nil {
			t.Fatal(err)
		}
		if closed(ch) {
			t.Fatal("another FSM's restore closed this FSM's channel")
		}
		if err := f.Restore(io.NopCloser(bytes.NewReader(snapshotBytes(t, snap)))); err != nil {
			t.Fatal(err)
		}
		if !closed(ch) {
			t.Fatal("closed after a restore: got false; want true")
		}
	})
}

// TestChangedMissesNothing has readers follow a stream of applied entries
// the way the driver and the PullTasks streams do (take the channel, read,
// wait): each must end up seeing the last state, under the race detector.
func TestChangedMissesNothing(t *testing.T) {
	f := NewFSM()
	const n = 300
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Go(func() {
			deadline := time.After(20 * time.Second)
			for {
				ch := f.Changed()
				if len(f.Workers()) == n {
					return
				}
				select {
				case <-ch:
				case <-deadline:
					t.Errorf("reader saw %d workers after 20s; want %d", len(f.Workers()), n)
					return
				}
			}
		})
	}
	for i := 0; i < n; i++ {
		applyAll(t, f, []step{{SetWorker{ID: fmt.Sprintf("w%03d", i), Slots: 1, Time: t0}, nil}})
	}
	wg.Wait()
}
