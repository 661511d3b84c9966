package coordinator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// randomLog returns n commands drawn from every message type, valid or not,
// including scheduler plans, generated against a scratch FSM so that many of
// them are accepted.
func randomLog(seed uint64, n int) []Command {
	r := rand.New(rand.NewPCG(seed, 7))
	scratch := NewFSM()
	cfg := scheduler.DefaultConfig()
	cfg.AttemptTimeout = 30 * time.Second
	now := t0
	var log []Command
	job := func() string { return fmt.Sprintf("j%d", r.IntN(6)) }
	worker := func() string { return fmt.Sprintf("w%d", r.IntN(4)) }
	attempt := func() uint64 { return uint64(r.IntN(int(scratch.LastAttemptID()) + 2)) }
	for len(log) < n {
		now = now.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
		var c Command
		switch r.IntN(13) {
		case 0:
			c = SubmitJob{ID: job(), JobType: "itemsets", Priority: r.IntN(3),
				Stages: []StageSpec{{Name: "local", Tasks: 1 + r.IntN(5)}}, Time: now}
		case 1:
			c = AppendStage{JobID: job(), Stage: StageSpec{Name: fmt.Sprintf("r%d", r.IntN(4)), Tasks: 1 + r.IntN(3)}, Time: now}
		case 2:
			c = SetWorker{ID: worker(), Slots: r.IntN(4), Time: now}
		case 3:
			c = RemoveWorker{ID: worker(), Time: now}
		case 4, 5, 6:
			c = CompleteAttempt{ID: attempt(), Result: "r", Time: now}
		case 7:
			c = FailAttempt{ID: attempt(), Reason: "boom", Counted: r.IntN(2) == 0, Time: now}
		case 8:
			if r.IntN(4) == 0 {
				c = CancelJob{JobID: job(), Time: now}
			} else {
				c = FinishJob{JobID: job(), State: scheduler.JobSucceeded, Time: now}
			}
		case 9:
			c = PublishModel{Name: "m", Version: r.IntN(5), Key: "k", Time: now}
		case 10:
			c = RenewLeases{Worker: worker(), Attempts: []AttemptProgress{{ID: attempt(), Rows: int64(r.IntN(100))}, {ID: attempt()}},
				Deadline: now.Add(time.Duration(r.IntN(60)) * time.Second), Time: now}
		default:
			c = PlanCommands(scratch.Plan(now, cfg), now)
			if len(c.(Batch)) == 0 {
				continue
			}
		}
		scratch.ApplyCommand(c)
		log = append(log, c)
	}
	return log
}

func marshal(t *testing.T, f *FSM) []byte {
	t.Helper()
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSameLogSameState(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		log := randomLog(seed, 300)
		a, b := NewFSM(), NewFSM()
		for _, c := range log {
			a.ApplyCommand(c)
			b.ApplyCommand(c)
		}
		if !bytes.Equal(marshal(t, a), marshal(t, b)) {
			t.Fatalf("seed %d: states differ after the same log", seed)
		}
		if a.LastAttemptID() == 0 {
			t.Fatalf("seed %d: got no attempts; want the log to exercise the scheduler", seed)
		}
	}
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct {
	bytes.Buffer
	cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { return nil }

func snapshotBytes(t *testing.T, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	return sink.Bytes()
}

func TestSnapshotRestore(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		log := randomLog(seed, 400)
		half := len(log) / 2
		a := NewFSM()
		for _, c := range log[:half] {
			a.ApplyCommand(c)
		}
		b := NewFSM()
		if err := b.Restore(io.NopCloser(bytes.NewReader(snapshotBytes(t, a)))); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(marshal(t, a), marshal(t, b)) {
			t.Fatalf("seed %d: restored state differs from the snapshotted one", seed)
		}
		// The derived indexes must be rebuilt: the rest of the log gets the
		// same answers on both.
		for i, c := range log[half:] {
			ra, rb := fmt.Sprint(a.ApplyCommand(c)), fmt.Sprint(b.ApplyCommand(c))
			if ra != rb {
				t.Fatalf("seed %d command %d %T: got %s after restore; want %s", seed, half+i, c, rb, ra)
			}
		}
		if !bytes.Equal(marshal(t, a), marshal(t, b)) {
			t.Fatalf("seed %d: states differ after the rest of the log", seed)
		}
	}
}

func TestRestoreRefusesOtherVersions(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"future version", `{"version":2,"state":{}}`, ErrSnapshotVersion},
		{"no version", `{"state":{}}`, ErrSnapshotVersion},
		// These used to panic in reindex.
		{"null job", `{"version":1,"state":{"jobs":{"j":null}}}`, ErrCorruptSnapshot},
		{"job under another key", `{"version":1,"state":{"jobs":{"j":{"id":"k"}}}}`, ErrCorruptSnapshot},
		{"null stage", `{"version":1,"state":{"jobs":{"j":{"id":"j","stages":[null]}}}}`, ErrCorruptSnapshot},
		{"null task", `{"version":1,"state":{"jobs":{"j":{"id":"j","stages":[{"name":"s","tasks":[null]}]}}}}`, ErrCorruptSnapshot},
		{"null attempt", `{"version":1,"state":{"jobs":{"j":{"id":"j","stages":[{"name":"s","tasks":[{"attempts":[null]}]}]}}}}`, ErrCorruptSnapshot},
		{"attempt id twice", `{"version":1,"state":{"jobs":{"j":{"id":"j","stages":[{"name":"s","tasks":[{"attempts":[{"id":3}]},{"attempts":[{"id":3}]}]}]}}}}`, ErrCorruptSnapshot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := NewFSM().Restore(io.NopCloser(strings.NewReader(tc.data)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
	if err := NewFSM().Restore(io.NopCloser(strings.NewReader("{"))); err == nil {
		t.Fatal("truncated snapshot: got nil; want an error")
	}
}

func TestApplyIgnoresNonCommandEntries(t *testing.T) {
	f := NewFSM()
	if got := f.Apply(&raft.Log{Type: raft.LogBarrier}); got != nil {
		t.Fatalf("got %v; want nil", got)
	}
}
