package coordinator

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// MessageType is the first byte of every raft log entry the FSM applies.
// Values are only ever appended: an entry written by an older coordinator
// must mean the same thing to a newer one.
type MessageType uint8

// The message types, one applyX each.
const (
	MsgSubmitJob         MessageType = 1
	MsgAppendStage       MessageType = 2
	MsgFinishJob         MessageType = 3
	MsgAssignAttempt     MessageType = 4
	MsgCompleteAttempt   MessageType = 5
	MsgFailAttempt       MessageType = 6
	MsgCancelJob         MessageType = 7
	MsgSetWorker         MessageType = 8
	MsgRemoveWorker      MessageType = 9
	MsgPublishModel      MessageType = 10
	MsgSetDatasetVersion MessageType = 11
	MsgStartJob          MessageType = 12
	// MsgBatch carries several commands applied in order in one entry, each
	// with its own outcome: one scheduling plan is one entry.
	MsgBatch MessageType = 13
	// MsgRenewLeases is one worker heartbeat: it extends the leases of the
	// worker's running attempts.
	MsgRenewLeases MessageType = 14
	// MsgForgetJobs drops finished jobs past their retention.
	MsgForgetJobs MessageType = 15
)

// Command is a request to change the replicated state. Every field the FSM
// needs, times included, travels in the command: Apply never reads a clock.
type Command interface {
	// Type returns the message type the command is encoded under.
	Type() MessageType
}

// SubmitJob adds a queued job with its initial stages (possibly none).
type SubmitJob struct {
	ID       string          `json:"id"`
	JobType  string          `json:"type"` // "itemsets", "segments", …: opaque here
	Spec     json.RawMessage `json:"spec,omitempty"`
	Priority int             `json:"priority"`
	Stages   []StageSpec     `json:"stages,omitempty"`
	Time     time.Time       `json:"time"`
}

// StageSpec describes a stage: a name unique within its job and one opaque
// payload per task (nil payloads for tasks that need none).
type StageSpec struct {
	Name     string   `json:"name"`
	Tasks    int      `json:"tasks"`
	Payloads [][]byte `json:"payloads,omitempty"` // empty, or one per task
}

// AppendStage appends a stage to a job that has not finished (k-means adds
// one per round).
type AppendStage struct {
	JobID string    `json:"job"`
	Stage StageSpec `json:"stage"`
	Time  time.Time `json:"time"`
}

// StartJob admits a queued job.
type StartJob struct {
	JobID string    `json:"job"`
	Time  time.Time `json:"time"`
}

// FinishJob ends a job as succeeded or failed, with a reason for failures.
type FinishJob struct {
	JobID  string             `json:"job"`
	State  scheduler.JobState `json:"state"` // JobSucceeded or JobFailed
	Reason string             `json:"reason,omitempty"`
	Time   time.Time          `json:"time"`
}

// CancelJob ends a job as cancelled; the scheduler then cancels its attempts.
type CancelJob struct {
	JobID  string    `json:"job"`
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
}

// AssignAttempt creates attempt ID of a task on a worker. ID must exceed
// every attempt id issued before: it is the fencing token.
type AssignAttempt struct {
	ID          uint64    `json:"id"`
	JobID       string    `json:"job"`
	Stage       int       `json:"stage"`
	Task        int       `json:"task"`
	Worker      string    `json:"worker"`
	Deadline    time.Time `json:"deadline"`
	Speculative bool      `json:"speculative,omitempty"`
	Time        time.Time `json:"time"`
}

// CompleteAttempt reports an attempt's success with its result. Only the
// first completion of a task is accepted.
type CompleteAttempt struct {
	ID uint64 `json:"id"`
	// Result is opaque here: the job layer's jobs.TaskResult as JSON, which
	// names the attempt-scoped object the attempt wrote.
	Result string `json:"result"`
	// Rows and Bytes are the input records and bytes the attempt read.
	Rows  int64     `json:"rows,omitempty"`
	Bytes int64     `json:"bytes,omitempty"`
	Time  time.Time `json:"time"`
}

// FailAttempt ends a running attempt. Counted failures count against the
// task's retries; a lost worker or expired lease does not; Cancelled marks
// attempts stopped because their job ended.
type FailAttempt struct {
	ID        uint64    `json:"id"`
	Reason    string    `json:"reason"`
	Counted   bool      `json:"counted,omitempty"`
	Cancelled bool      `json:"cancelled,omitempty"`
	Time      time.Time `json:"time"`
}

// SetWorker registers or refreshes a worker.
type SetWorker struct {
	ID    string    `json:"id"`
	Addr  string    `json:"addr,omitempty"`
	Slots int       `json:"slots"`
	Time  time.Time `json:"time"` // last seen
	// Version, Started, Registered and Draining are what the worker
	// registered: its build, when its process started, when its current
	// lease was granted, and whether it is draining (its Slots are then 0).
	Version    string    `json:"version,omitempty"`
	Started    time.Time `json:"started,omitzero"`
	Registered time.Time `json:"registered,omitzero"`
	Draining   bool      `json:"draining,omitempty"`
}

// RemoveWorker forgets a worker; its running attempts are then lost.
type RemoveWorker struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
}

// PublishModel records a new published version of a model; versions only
// grow.
type PublishModel struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Key     string    `json:"key"` // where the model's manifest is
	JobID   string    `json:"job,omitempty"`
	Time    time.Time `json:"time"`
}

// SetDatasetVersion records a dataset's new current version; versions only
// grow.
type SetDatasetVersion struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
}

// RenewLeases is one heartbeat of a worker: every listed attempt that is
// still running on Worker gets its lease extended to Deadline (never
// shortened) and its progress recorded; the others are ignored. A heartbeat
// that renews no attempt is refused with ErrStaleAttempt and changes
// nothing.
type RenewLeases struct {
	Worker   string            `json:"worker"`
	Attempts []AttemptProgress `json:"attempts"`
	Deadline time.Time         `json:"deadline"`
	Time     time.Time         `json:"time"`
}

// AttemptProgress is how far a running attempt has got: the input records
// and bytes it has read so far.
type AttemptProgress struct {
	ID    uint64 `json:"id"`
	Rows  int64  `json:"rows,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
}

// Batch is several commands applied in order as one log entry; each has its
// own outcome and a rejected one does not stop the others.
type Batch []Command

// Type implements Command.
func (SubmitJob) Type() MessageType { return MsgSubmitJob }

// Type implements Command.
func (AppendStage) Type() MessageType { return MsgAppendStage }

// Type implements Command.
func (StartJob) Type() MessageType { return MsgStartJob }

// Type implements Command.
func (FinishJob) Type() MessageType { return MsgFinishJob }

// Type implements Command.
func (CancelJob) Type() MessageType { return MsgCancelJob }

// Type implements Command.
func (AssignAttempt) Type() MessageType { return MsgAssignAttempt }

// Type implements Command.
func (CompleteAttempt) Type() MessageType { return MsgCompleteAttempt }

// Type implements Command.
func (FailAttempt) Type() MessageType { return MsgFailAttempt }

// Type implements Command.
func (SetWorker) Type() MessageType { return MsgSetWorker }

// Type implements Command.
func (RemoveWorker) Type() MessageType { return MsgRemoveWorker }

// Type implements Command.
func (PublishModel) Type() MessageType { return MsgPublishModel }

// Type implements Command.
func (SetDatasetVersion) Type() MessageType { return MsgSetDatasetVersion }

// Type implements Command.
func (RenewLeases) Type() MessageType { return MsgRenewLeases }

// Type implements Command.
func (Batch) Type() MessageType { return MsgBatch }

// Encode returns the log entry for cmd: its type byte, then its JSON body; a
// Batch's body is each command's entry preceded by its length as a uvarint.
func Encode(cmd Command) ([]byte, error) {
	if b, ok := cmd.(Batch); ok {
		out := []byte{byte(MsgBatch)}
		for _, c := range b {
			if _, nested := c.(Batch); nested {
				return nil, fmt.Errorf("encode batch: %w", ErrNestedBatch)
			}
			e, err := Encode(c)
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(out, uint64(len(e)))
			out = append(out, e...)
		}
		return out, nil
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", cmd, err)
	}
	return append([]byte{byte(cmd.Type())}, body...), nil
}

// Decode parses one log entry made by Encode.
func Decode(entry []byte) (Command, error) {
	if len(entry) == 0 {
		return nil, fmt.Errorf("decode: %w", ErrEmptyEntry)
	}
	t, body := MessageType(entry[0]), entry[1:]
	var cmd Command
	switch t {
	case MsgBatch:
		return decodeBatch(body)
	case MsgSubmitJob:
		cmd = &SubmitJob{}
	case MsgAppendStage:
		cmd = &AppendStage{}
	case MsgStartJob:
		cmd = &StartJob{}
	case MsgFinishJob:
		cmd = &FinishJob{}
	case MsgCancelJob:
		cmd = &CancelJob{}
	case MsgAssignAttempt:
		cmd = &AssignAttempt{}
	case MsgCompleteAttempt:
		cmd = &CompleteAttempt{}
	case MsgFailAttempt:
		cmd = &FailAttempt{}
	case MsgSetWorker:
		cmd = &SetWorker{}
	case MsgRemoveWorker:
		cmd = &RemoveWorker{}
	case MsgPublishModel:
		cmd = &PublishModel{}
	case MsgSetDatasetVersion:
		cmd = &SetDatasetVersion{}
	case MsgRenewLeases:
		cmd = &RenewLeases{}
	case MsgForgetJobs:
		cmd = &ForgetJobs{}
	default:
		return nil, fmt.Errorf("decode message type %d: %w", t, ErrUnknownMessage)
	}
	if err := json.Unmarshal(body, cmd); err != nil {
		return nil, fmt.Errorf("decode message type %d: %w", t, err)
	}
	return cmd, nil
}

func decodeBatch(body []byte) (Batch, error) {
	var b Batch
	for len(body) > 0 {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			return nil, fmt.Errorf("decode batch item %d: %w", len(b), ErrTruncatedEntry)
		}
		item := body[k : k+int(n)]
		body = body[k+int(n):]
		if len(item) > 0 && MessageType(item[0]) == MsgBatch {
			return nil, fmt.Errorf("decode batch item %d: %w", len(b), ErrNestedBatch)
		}
		c, err := Decode(item)
		if err != nil {
			return nil, fmt.Errorf("decode batch item %d: %w", len(b), err)
		}
		b = append(b, c)
	}
	return b, nil
}
