package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// WorkerServer serves quarry.v1.WorkerService on the leader. PullTasks
// streams to a worker the attempts the scheduler assigned to it (RUN), the
// ones it must stop (CANCEL) and, once it is registered as draining, that
// nothing more will come (DRAINED); Heartbeat renews the leases of its
// running attempts through raft; ReportAttempt commits an attempt's outcome
// through raft, first committer wins. A follower answers Unavailable
// naming the leader, so the worker reconnects there.
type WorkerServer struct {
	quarryv1.UnimplementedWorkerServiceServer

	store    *Store
	safety   time.Duration
	done     chan struct{}
	stopOnce sync.Once
	// LeaderAddr, if set, maps the leader's raft id to its gRPC address
	// for the answers of a follower.
	LeaderAddr func(id string) string
}

// NewWorkerServer returns the WorkerService of store. A PullTasks stream
// wakes on every change of the FSM and of leadership; safety (1 s when not
// positive) is only the longest it sleeps between them.
func NewWorkerServer(store *Store, safety time.Duration) *WorkerServer {
	if safety <= 0 {
		safety = time.Second
	}
	return &WorkerServer{store: store, safety: safety, done: make(chan struct{})}
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

// lease is the lease an attempt gets at assignment and at each heartbeat.
func (w *WorkerServer) lease() time.Duration { return w.store.cfg.Scheduler.AttemptTimeout }

// PullTasks implements WorkerService: it streams until the worker goes
// away or this replica stops leading. Each pass reads the worker's
// attempts in one consistent view of the FSM, then sleeps until the next
// entry that changes the FSM or the next change of leadership.
func (w *WorkerServer) PullTasks(req *quarryv1.PullRequest, stream quarryv1.WorkerService_PullTasksServer) error {
	worker := req.GetWorkerId()
	if worker == "" {
		return status.Error(codes.InvalidArgument, "worker id is required")
	}
	ctx := stream.Context()
	defer w.store.Metrics().streamOpened()()
	fsm := w.store.FSM()
	sent := map[uint64]bool{} // RUN sent, no CANCEL yet
	drained := false          // DRAINED sent
	t := time.NewTicker(w.safety)
	defer t.Stop()
	for {
		changed := fsm.Changed()
		leadership := w.store.leadershipChanged()
		if !w.store.IsLeader() {
			return w.notLeader()
		}
		d := fsm.workerDelta(worker, sent)
		for _, a := range d.run {
			if err := stream.Send(runAssignment(a, w.lease())); err != nil {
				return err
			}
			sent[a.Attempt.ID] = true
		}
		for _, e := range d.ended {
			if !e.Succeeded {
				if err := stream.Send(cancelAssignment(e)); err != nil {
					return err
				}
			}
			delete(sent, e.ID)
		}
		if d.drained && !drained {
			if err := stream.Send(&quarryv1.TaskAssignment{Action: quarryv1.Action_ACTION_DRAINED}); err != nil {
				return err
			}
		}
		drained = d.drained
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-w.done:
			return status.Error(codes.Unavailable, "coordinator stopping")
		case <-changed:
		case <-leadership:
		case <-t.C:
		}
	}
}

// AttemptName is the jobs attempt id of fencing token id: it names the
// attempt's output object.
func AttemptName(id uint64) string { return "a" + strconv.FormatUint(id, 10) }

// runAssignment builds the RUN message of attempt a: its spec is the task's
// TaskSpec with the attempt named.
func runAssignment(a assigned, lease time.Duration) *quarryv1.TaskAssignment {
	spec := a.Payload
	var ts jobs.TaskSpec
	if err := json.Unmarshal(a.Payload, &ts); err == nil {
		ts.Attempt = AttemptName(a.Attempt.ID)
		if b, err := json.Marshal(ts); err == nil {
			spec = b
		}
	}
	return &quarryv1.TaskAssignment{
		Action:      quarryv1.Action_ACTION_RUN,
		AttemptId:   a.Attempt.ID,
		JobId:       a.JobID,
		Stage:       uint32(a.Stage),
		StageName:   a.StageName,
		Task:        uint32(a.Task),
		Attempt:     uint32(a.Number),
		Speculative: a.Attempt.Speculative,
		Spec:        spec,
		OutputKey:   jobs.AttemptKey(&ts),
		Deadline:    timestamppb.New(a.Attempt.Deadline),
		Lease:       durationpb.New(lease),
	}
}

func cancelAssignment(e endedAttempt) *quarryv1.TaskAssignment {
	return &quarryv1.TaskAssignment{
		Action: quarryv1.Action_ACTION_CANCEL, AttemptId: e.ID, JobId: e.JobID, Stage: uint32(e.Stage), Task: uint32(e.Task),
	}
}

// ReportAttempt implements WorkerService. A success carries the attempt's
// jobs.TaskResult as JSON in result, and the key it names in result_key. A
// report the FSM refuses as stale (another attempt won, the attempt was
// lost or cancelled, the job ended) answers accepted=false.
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
		if err := json.Unmarshal(r.GetResult(), &res); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "attempt %d: result is not a task result: %v", a.ID, err)
		}
		if res.Key != r.GetResultKey() {
			return nil, status.Errorf(codes.InvalidArgument, "attempt %d: result_key %q differs from the result's key %q", a.ID, r.GetResultKey(), res.Key)
		}
		cmd = CompleteAttempt{ID: a.ID, Result: string(r.GetResult()), Rows: count(r.GetRowsRead()), Bytes: count(r.GetBytesRead()), Time: time.Now()}
	case quarryv1.Outcome_OUTCOME_FAILED:
		cmd = FailAttempt{ID: a.ID, Reason: r.GetError(), Counted: true, Time: time.Now()}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "attempt %d: outcome %v", a.ID, r.GetOutcome())
	}
	err := w.store.Apply(cmd)
	switch {
	case err == nil:
		w.store.Metrics().observeReport(w.store.FSM(), cmd, true)
		return &quarryv1.ReportAck{Accepted: true}, nil
	case isStale(err):
		w.store.Metrics().observeReport(w.store.FSM(), cmd, false)
		return &quarryv1.ReportAck{Accepted: false, Reason: err.Error()}, nil
	case errors.Is(err, ErrNotLeader):
		return nil, w.notLeader()
	}
	return nil, statusOf(fmt.Errorf("report attempt %d: %w", a.ID, err))
}

// count converts a protocol counter, saturating at the largest int64.
func count(v uint64) int64 { return int64(min(v, math.MaxInt64)) }

// Heartbeat implements WorkerService: it commits one RenewLeases entry that
// gives every listed attempt still running on the worker a full lease from
// now and records its progress, and answers with the listed attempts that
// are not running there any more, for the worker to abort. A heartbeat
// with nothing to renew commits nothing.
func (w *WorkerServer) Heartbeat(_ context.Context, r *quarryv1.HeartbeatRequest) (*quarryv1.HeartbeatResponse, error) {
	if !w.store.IsLeader() {
		return nil, w.notLeader()
	}
	worker := r.GetWorkerId()
	if worker == "" {
		return nil, status.Error(codes.InvalidArgument, "worker id is required")
	}
	fsm := w.store.FSM()
	runsHere := func(id uint64) bool {
		a, _, ok := fsm.Attempt(id)
		return ok && a.Worker == worker && a.State == scheduler.AttemptRunning
	}
	var renew []AttemptProgress
	for _, p := range r.GetRunning() {
		if runsHere(p.GetAttemptId()) {
			renew = append(renew, AttemptProgress{ID: p.GetAttemptId(), Rows: count(p.GetRowsRead()), Bytes: count(p.GetBytesRead())})
		}
	}
	if len(renew) > 0 {
		now := time.Now()
		err := w.store.Apply(RenewLeases{Worker: worker, Attempts: renew, Deadline: now.Add(w.lease()), Time: now})
		switch {
		case err == nil, isStale(err): // every attempt ended meanwhile: all abort
		case errors.Is(err, ErrNotLeader):
			return nil, w.notLeader()
		default:
			return nil, statusOf(fmt.Errorf("heartbeat of worker %s: %w", worker, err))
		}
	}
	// Read after the commit: an attempt that ended before it was not
	// renewed, one that ends after it is over anyway.
	resp := &quarryv1.HeartbeatResponse{}
	for _, p := range r.GetRunning() {
		if !runsHere(p.GetAttemptId()) {
			resp.Abort = append(resp.Abort, p.GetAttemptId())
		}
	}
	return resp, nil
}
