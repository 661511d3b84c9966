package coordinator

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// everyCommand has one command of each message type.
func everyCommand() []Command {
	return []Command{
		SubmitJob{ID: "j1", JobType: "itemsets", Spec: json.RawMessage(`{"min_support":0.2}`), Priority: 2,
			Stages: []StageSpec{{Name: "local", Tasks: 2, Payloads: [][]byte{[]byte("p0"), []byte("p1")}}}, Time: t0},
		AppendStage{JobID: "j1", Stage: StageSpec{Name: "global", Tasks: 1}, Time: t0},
		StartJob{JobID: "j1", Time: t0},
		FinishJob{JobID: "j1", State: scheduler.JobSucceeded, Time: t0},
		CancelJob{JobID: "j1", Reason: "x", Time: t0},
		AssignAttempt{ID: 7, JobID: "j1", Stage: 0, Task: 1, Worker: "w1", Deadline: t0.Add(time.Minute), Speculative: true, Time: t0},
		CompleteAttempt{ID: 7, Result: `{"key":"attempts/7"}`, Rows: 10, Bytes: 4096, Time: t0},
		FailAttempt{ID: 7, Reason: "boom", Counted: true, Time: t0},
		SetWorker{ID: "w1", Addr: "127.0.0.1:1", Slots: 4, Time: t0},
		RemoveWorker{ID: "w1", Time: t0},
		PublishModel{Name: "retail", Version: 3, Key: "models/retail/3", JobID: "j1", Time: t0},
		SetDatasetVersion{Name: "retail", Version: 2, Time: t0},
		RenewLeases{Worker: "w1", Attempts: []AttemptProgress{{ID: 7, Rows: 10, Bytes: 4096}, {ID: 8}}, Deadline: t0.Add(time.Minute), Time: t0},
	}
}

// deref turns the pointers Decode returns into values.
func deref(c Command) Command {
	return reflect.ValueOf(c).Elem().Interface().(Command)
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, c := range everyCommand() {
		t.Run(reflect.TypeOf(c).Name(), func(t *testing.T) {
			b, err := Encode(c)
			if err != nil {
				t.Fatal(err)
			}
			if MessageType(b[0]) != c.Type() {
				t.Fatalf("type byte: got %d; want %d", b[0], c.Type())
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(deref(got), c) {
				t.Fatalf("got %+v; want %+v", deref(got), c)
			}
		})
	}
	t.Run("batch", func(t *testing.T) {
		b, err := Encode(Batch(everyCommand()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		gb := got.(Batch)
		for i, c := range everyCommand() {
			if !reflect.DeepEqual(deref(gb[i]), c) {
				t.Fatalf("item %d: got %+v; want %+v", i, deref(gb[i]), c)
			}
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	inner, _ := Encode(Batch{StartJob{JobID: "j"}})
	tests := []struct {
		name  string
		entry []byte
		want  error
	}{
		{"empty", nil, ErrEmptyEntry},
		{"unknown type", []byte{200, '{', '}'}, ErrUnknownMessage},
		{"truncated batch", []byte{byte(MsgBatch), 50, 1}, ErrTruncatedEntry},
		{"nested batch", append([]byte{byte(MsgBatch), byte(len(inner))}, inner...), ErrNestedBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.entry); !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
	if _, err := Decode([]byte{byte(MsgSubmitJob), '{'}); err == nil {
		t.Fatal("bad json: got nil; want an error")
	}
}

// TestMessageTypesAreStable pins the wire values: they may only be appended.
func TestMessageTypesAreStable(t *testing.T) {
	want := map[MessageType]Command{
		1: SubmitJob{}, 2: AppendStage{}, 3: FinishJob{}, 4: AssignAttempt{}, 5: CompleteAttempt{},
		6: FailAttempt{}, 7: CancelJob{}, 8: SetWorker{}, 9: RemoveWorker{}, 10: PublishModel{},
		11: SetDatasetVersion{}, 12: StartJob{}, 13: Batch{}, 14: RenewLeases{},
	}
	for v, c := range want {
		if c.Type() != v {
			t.Errorf("%T: got %d; want %d", c, c.Type(), v)
		}
	}
}
