package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// WorkerServer serves quarry.v1.WorkerService on the leader. PullTasks
// streams to a worker the attempts the scheduler assigned to it (RUN) and
// the ones it must stop (CANCEL); ReportAttempt commits an attempt's
// outcome through raft, first committer wins. A follower answers
// Unavailable naming the leader, so the worker reconnects there.
type WorkerServer struct {
	quarryv1.UnimplementedWorkerServiceServer

	store    *Store
	poll     time.Duration
	done     chan struct{}
	stopOnce sync.Once
	// LeaderAddr, if set, maps the leader's raft id to its gRPC address
	// for the answers of a follower.
	LeaderAddr func(id string) string
}

// NewWorkerServer returns the WorkerService of store; PullTasks looks for
// new assignments every poll (20 ms when not positive).
func NewWorkerServer(store *Store, poll time.Duration) *WorkerServer {
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	return &WorkerServer{store: store, poll: poll, done: make(chan struct{})}
}

// ServerOptions are the gRPC server options the WorkerService needs: the
// server pings idle connections so a vanished worker's stream ends, and it
// accepts the worker's own keepalive pings (every 10 s, see package worker)
// instead of closing the connection as too many pings.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}
}

// Stop ends every PullTasks stream with Unavailable and refuses new ones,
// so that grpc.Server.GracefulStop, which waits for open streams, returns.
// Reports are still served until the gRPC server stops.
func (w *WorkerServer) Stop() { w.stopOnce.Do(func() { close(w.done) }) }

// notLeader is the status a follower answers with.
func (w *WorkerServer) notLeader() error {
	id, _ := w.store.Leader()
	addr := ""
	if w.LeaderAddr != nil && id != "" {
		addr = w.LeaderAddr(id)
	}
	return status.Errorf(codes.Unavailable, "not the leader; leader %q at %q", id, addr)
}

// PullTasks implements WorkerService: it streams until the worker goes
// away or this replica stops leading.
func (w *WorkerServer) PullTasks(req *quarryv1.PullRequest, stream quarryv1.WorkerService_PullTasksServer) error {
	if req.GetWorkerId() == "" {
		return status.Error(codes.InvalidArgument, "worker id is required")
	}
	ctx := stream.Context()
	sent := map[uint64]bool{} // RUN sent, no CANCEL yet
	t := time.NewTicker(w.poll)
	defer t.Stop()
	for {
		if !w.store.IsLeader() {
			return w.notLeader()
		}
		for _, a := range w.changes(req.GetWorkerId(), sent) {
			if err := stream.Send(a); err != nil {
				return err
			}
			if a.Action == quarryv1.Action_ACTION_RUN {
				sent[a.AttemptId] = true
			} else {
				delete(sent, a.AttemptId)
			}
		}
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-w.done:
			return status.Error(codes.Unavailable, "coordinator stopping")
		case <-t.C:
		}
	}
}

// changes returns the assignments to send to worker: RUN for its running
// attempts not yet sent, CANCEL for sent ones no longer running (lost,
// cancelled, superseded).
func (w *WorkerServer) changes(worker string, sent map[uint64]bool) []*quarryv1.TaskAssignment {
	var out []*quarryv1.TaskAssignment
	seen := map[uint64]bool{}
	for _, j := range w.store.FSM().Jobs() {
		if j.State.Terminal() && len(sent) == 0 {
			continue
		}
		for si, st := range j.Stages {
			for ti, t := range st.Tasks {
				for ai, a := range t.Attempts {
					if a.Worker != worker {
						continue
					}
					seen[a.ID] = true
					switch {
					case a.State == scheduler.AttemptRunning && !sent[a.ID]:
						out = append(out, runAssignment(j, si, ti, ai, a, st.Name, t.Payload))
					case a.State != scheduler.AttemptRunning && a.State != scheduler.AttemptSucceeded && sent[a.ID]:
						out = append(out, cancelAssignment(j.ID, si, ti, a.ID))
					}
				}
			}
		}
	}
	for id := range sent {
		if !seen[id] { // its job is gone
			out = append(out, cancelAssignment("", 0, 0, id))
		}
	}
	return out
}

// AttemptName is the jobs attempt id of fencing token id: it names the
// attempt's output object.
func AttemptName(id uint64) string { return "a" + strconv.FormatUint(id, 10) }

// runAssignment builds the RUN message of attempt a: its spec is the task's
// TaskSpec with the attempt named.
func runAssignment(j *Job, si, ti, ai int, a *Attempt, stage string, payload []byte) *quarryv1.TaskAssignment {
	spec := payload
	var ts jobs.TaskSpec
	if err := json.Unmarshal(payload, &ts); err == nil {
		ts.Attempt = AttemptName(a.ID)
		if b, err := json.Marshal(ts); err == nil {
			spec = b
		}
	}
	return &quarryv1.TaskAssignment{
		Action:      quarryv1.Action_ACTION_RUN,
		AttemptId:   a.ID,
		JobId:       j.ID,
		Stage:       uint32(si),
		StageName:   stage,
		Task:        uint32(ti),
		Attempt:     uint32(ai + 1),
		Speculative: a.Speculative,
		Spec:        spec,
		OutputKey:   jobs.AttemptKey(&ts),
		Deadline:    timestamppb.New(a.Deadline),
	}
}

func cancelAssignment(job string, si, ti int, id uint64) *quarryv1.TaskAssignment {
	return &quarryv1.TaskAssignment{Action: quarryv1.Action_ACTION_CANCEL, AttemptId: id, JobId: job, Stage: uint32(si), Task: uint32(ti)}
}

// ReportAttempt implements WorkerService. A success carries the attempt's
// jobs.TaskResult as JSON in result_key (the driver needs its summary, not
// only its key). A report the FSM refuses as stale (another attempt won,
// the attempt was lost or cancelled, the job ended) answers accepted=false.
func (w *WorkerServer) ReportAttempt(ctx context.Context, r *quarryv1.AttemptReport) (*quarryv1.ReportAck, error) {
	if !w.store.IsLeader() {
		return nil, w.notLeader()
	}
	a, _, ok := w.store.FSM().Attempt(r.GetAttemptId())
	if !ok {
		return &quarryv1.ReportAck{Accepted: false, Reason: ErrUnknownAttempt.Error()}, nil
	}
	if a.Worker != r.GetWorkerId() {
		return nil, status.Errorf(codes.PermissionDenied, "attempt %d belongs to worker %q, not %q", a.ID, a.Worker, r.GetWorkerId())
	}
	var cmd Command
	switch r.GetOutcome() {
	case quarryv1.Outcome_OUTCOME_SUCCEEDED:
		var res jobs.TaskResult
		if err := json.Unmarshal([]byte(r.GetResultKey()), &res); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "attempt %d: result is not a task result: %v", a.ID, err)
		}
		cmd = CompleteAttempt{ID: a.ID, Result: r.GetResultKey(), Time: time.Now()}
	case quarryv1.Outcome_OUTCOME_FAILED:
		cmd = FailAttempt{ID: a.ID, Reason: r.GetError(), Counted: true, Time: time.Now()}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "attempt %d: outcome %v", a.ID, r.GetOutcome())
	}
	err := w.store.Apply(cmd)
	switch {
	case err == nil:
		return &quarryv1.ReportAck{Accepted: true}, nil
	case isStale(err):
		return &quarryv1.ReportAck{Accepted: false, Reason: err.Error()}, nil
	case errors.Is(err, ErrNotLeader):
		return nil, w.notLeader()
	}
	return nil, statusOf(fmt.Errorf("report attempt %d: %w", a.ID, err))
}

// Heartbeat implements WorkerService: liveness comes from etcd leases, so
// it only confirms this replica leads.
func (w *WorkerServer) Heartbeat(context.Context, *quarryv1.HeartbeatRequest) (*quarryv1.HeartbeatResponse, error) {
	if !w.store.IsLeader() {
		return nil, w.notLeader()
	}
	return &quarryv1.HeartbeatResponse{}, nil
}
