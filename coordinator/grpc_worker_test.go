package coordinator_test

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// quietCluster starts n replicas whose leader does not schedule.
func quietCluster(t *testing.T, n int) []*coordinator.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stores, err := coordinator.LocalCluster(ctx, t.TempDir(), n, func(c *coordinator.Config) { c.DisableScheduler = true })
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		t.Cleanup(func() { s.Close() })
	}
	return stores
}

// apply commits cmds on s, failing the test on any refusal.
func apply(t *testing.T, s *coordinator.Store, cmds ...coordinator.Command) {
	t.Helper()
	for _, c := range cmds {
		if err := s.Apply(c); err != nil {
			t.Fatalf("apply %T: %v", c, err)
		}
	}
}

func TestReportAttempt(t *testing.T) {
	s := quietCluster(t, 1)[0]
	now := time.Now()
	apply(t, s,
		coordinator.SetWorker{ID: "w1", Slots: 2, Time: now},
		coordinator.SetWorker{ID: "w2", Slots: 2, Time: now},
		coordinator.SubmitJob{ID: "j", JobType: "itemsets", Stages: []coordinator.StageSpec{{Name: "s", Tasks: 1}}, Time: now},
		coordinator.StartJob{JobID: "j", Time: now},
		coordinator.AssignAttempt{ID: 1, JobID: "j", Worker: "w1", Deadline: now.Add(time.Minute), Time: now},
		coordinator.AssignAttempt{ID: 2, JobID: "j", Worker: "w2", Deadline: now.Add(time.Minute), Time: now},
	)
	ws := coordinator.NewWorkerServer(s, 0)
	const key = "jobs/j/s/00000/a1.bin"
	res, _ := json.Marshal(jobs.TaskResult{Key: key, Summary: []byte{1}, Rows: 7, BytesRead: 70})
	report := func(id uint64, worker, key string, result []byte) *quarryv1.AttemptReport {
		return &quarryv1.AttemptReport{
			JobId: "j", AttemptId: id, WorkerId: worker, Outcome: quarryv1.Outcome_OUTCOME_SUCCEEDED,
			ResultKey: key, Result: result, RowsRead: 7, BytesRead: 70,
		}
	}
	for _, tc := range []struct {
		name     string
		report   *quarryv1.AttemptReport
		code     codes.Code
		accepted bool
	}{
		{"other worker", report(1, "w2", key, res), codes.PermissionDenied, false},
		{"no result", report(1, "w1", key, nil), codes.InvalidArgument, false},
		{"not a task result", report(1, "w1", key, []byte(key)), codes.InvalidArgument, false},
		{"key not the result's", report(1, "w1", "jobs/j/s/00000/a2.bin", res), codes.InvalidArgument, false},
		{"first completion", report(1, "w1", key, res), codes.OK, true},
		{"second attempt", report(2, "w2", key, res), codes.OK, false},
		{"duplicate", report(1, "w1", key, res), codes.OK, false},
		{"unknown attempt", report(99, "w1", key, res), codes.OK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ack, err := ws.ReportAttempt(context.Background(), tc.report)
			if got := status.Code(err); got != tc.code {
				t.Fatalf("code: got %v (%v); want %v", got, err, tc.code)
			}
			if err == nil && ack.GetAccepted() != tc.accepted {
				t.Fatalf("accepted: got %v (%s); want %v", ack.GetAccepted(), ack.GetReason(), tc.accepted)
			}
		})
	}
	j, _ := s.FSM().Job("j")
	if tk := j.Stages[0].Tasks[0]; !tk.Done || tk.Winner != 1 || tk.Result != string(res) {
		t.Fatalf("task: got done %v winner %d result %q; want done, winner 1, the task result", tk.Done, tk.Winner, tk.Result)
	}
	if p := j.Progress()[0]; p.Rows != 7 || p.Bytes != 70 {
		t.Fatalf("progress: got %d rows, %d bytes; want the winner's 7 rows, 70 bytes", p.Rows, p.Bytes)
	}
}

func TestWorkerServerFollower(t *testing.T) {
	stores := quietCluster(t, 2)
	var follower *coordinator.Store
	for _, s := range stores {
		if !s.IsLeader() {
			follower = s
		}
	}
	if follower == nil {
		t.Fatal("no follower in a 2-node cluster")
	}
	ws := coordinator.NewWorkerServer(follower, 0)
	ws.LeaderAddr = func(id string) string { return id + ":1234" }
	_, err := ws.ReportAttempt(context.Background(), &quarryv1.AttemptReport{AttemptId: 1, WorkerId: "w1", Outcome: quarryv1.Outcome_OUTCOME_FAILED})
	if got := status.Code(err); got != codes.Unavailable {
		t.Fatalf("report on a follower: got %v (%v); want %v", got, err, codes.Unavailable)
	}
	if _, err := ws.Heartbeat(context.Background(), &quarryv1.HeartbeatRequest{WorkerId: "w1"}); status.Code(err) != codes.Unavailable {
		t.Fatalf("heartbeat on a follower: got %v; want %v", err, codes.Unavailable)
	}
}

func TestHeartbeat(t *testing.T) {
	s := quietCluster(t, 1)[0]
	now := time.Now()
	apply(t, s,
		coordinator.SetWorker{ID: "w1", Slots: 3, Time: now},
		coordinator.SetWorker{ID: "w2", Slots: 3, Time: now},
		coordinator.SubmitJob{ID: "j", JobType: "itemsets", Stages: []coordinator.StageSpec{{Name: "s", Tasks: 3}}, Time: now},
		coordinator.StartJob{JobID: "j", Time: now},
		coordinator.AssignAttempt{ID: 1, JobID: "j", Task: 0, Worker: "w1", Deadline: now.Add(time.Second), Time: now},
		coordinator.AssignAttempt{ID: 2, JobID: "j", Task: 1, Worker: "w2", Deadline: now.Add(time.Second), Time: now},
		coordinator.AssignAttempt{ID: 3, JobID: "j", Task: 2, Worker: "w1", Deadline: now.Add(time.Second), Time: now},
		coordinator.FailAttempt{ID: 3, Reason: "lease expired", Time: now},
	)
	ws := coordinator.NewWorkerServer(s, 0)
	beat := func(worker string, ids ...uint64) *quarryv1.HeartbeatRequest {
		r := &quarryv1.HeartbeatRequest{WorkerId: worker}
		for _, id := range ids {
			r.Running = append(r.Running, &quarryv1.AttemptProgress{AttemptId: id, RowsRead: 5, BytesRead: 50})
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		req     *quarryv1.HeartbeatRequest
		code    codes.Code
		abort   []uint64
		renewed bool // an entry was committed
	}{
		{"no worker id", beat("", 1), codes.InvalidArgument, nil, false},
		{"renews its own running attempts", beat("w1", 1, 2, 3, 99), codes.OK, []uint64{2, 3, 99}, true},
		{"nothing to renew", beat("w1", 3), codes.OK, []uint64{3}, false},
		{"nothing running", beat("w2"), codes.OK, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := s.FSM().Changed()
			resp, err := ws.Heartbeat(context.Background(), tc.req)
			if got := status.Code(err); got != tc.code {
				t.Fatalf("code: got %v (%v); want %v", got, err, tc.code)
			}
			if got := resp.GetAbort(); !slices.Equal(got, tc.abort) {
				t.Fatalf("abort: got %v; want %v", got, tc.abort)
			}
			select {
			case <-changed:
				if !tc.renewed {
					t.Fatal("got a committed entry; want none")
				}
			default:
				if tc.renewed {
					t.Fatal("got no committed entry; want a RenewLeases")
				}
			}
		})
	}
	a, _, _ := s.FSM().Attempt(1)
	if lease := scheduler.DefaultConfig().AttemptTimeout; a.Deadline.Before(now.Add(lease)) || a.Rows != 5 || a.Bytes != 50 {
		t.Fatalf("attempt 1: got deadline %v, %d rows, %d bytes; want a full lease (%v) from the heartbeat, 5 rows, 50 bytes",
			a.Deadline.Sub(now), a.Rows, a.Bytes, lease)
	}
	if b, _, _ := s.FSM().Attempt(2); !b.Deadline.Equal(now.Add(time.Second)) {
		t.Fatalf("attempt 2 of w2: got deadline %v; want it unchanged", b.Deadline.Sub(now))
	}
}

// serveWorkers serves ws on loopback until the test ends and returns a
// client.
func serveWorkers(t *testing.T, ws *coordinator.WorkerServer) quarryv1.WorkerServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	quarryv1.RegisterWorkerServiceServer(srv, ws)
	go srv.Serve(lis)
	t.Cleanup(func() {
		ws.Stop()
		srv.Stop()
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return quarryv1.NewWorkerServiceClient(conn)
}

// pull opens worker's assignment stream and returns its messages, and the
// error that ended it, on channels.
func pull(t *testing.T, cli quarryv1.WorkerServiceClient, worker string) (<-chan *quarryv1.TaskAssignment, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := cli.PullTasks(ctx, &quarryv1.PullRequest{WorkerId: worker})
	if err != nil {
		t.Fatal(err)
	}
	msgs, end := make(chan *quarryv1.TaskAssignment, 16), make(chan error, 1)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				end <- err
				return
			}
			msgs <- m
		}
	}()
	return msgs, end
}

// TestPullTasksWakesOnChanges runs a stream whose safety tick never fires
// within the test: every message must come from a change notification.
func TestPullTasksWakesOnChanges(t *testing.T) {
	s := quietCluster(t, 1)[0]
	msgs, _ := pull(t, serveWorkers(t, coordinator.NewWorkerServer(s, time.Hour)), "w1")
	now := time.Now()
	apply(t, s,
		coordinator.SetWorker{ID: "w1", Slots: 2, Time: now},
		coordinator.SubmitJob{ID: "j", JobType: "itemsets", Stages: []coordinator.StageSpec{{Name: "s", Tasks: 2}}, Time: now},
		coordinator.StartJob{JobID: "j", Time: now},
	)
	next := func(want quarryv1.Action, id uint64) {
		t.Helper()
		select {
		case m := <-msgs:
			if m.GetAction() != want || m.GetAttemptId() != id {
				t.Fatalf("got %v of attempt %d; want %v of attempt %d", m.GetAction(), m.GetAttemptId(), want, id)
			}
			if want == quarryv1.Action_ACTION_RUN && m.GetLease().AsDuration() != scheduler.DefaultConfig().AttemptTimeout {
				t.Fatalf("RUN lease: got %v; want the attempt timeout", m.GetLease().AsDuration())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no message within 5s; want %v of attempt %d", want, id)
		}
	}
	apply(t, s, coordinator.AssignAttempt{ID: 1, JobID: "j", Task: 0, Worker: "w1", Deadline: now.Add(time.Minute), Time: now})
	next(quarryv1.Action_ACTION_RUN, 1)
	apply(t, s, coordinator.FailAttempt{ID: 1, Reason: "lease expired", Time: now})
	next(quarryv1.Action_ACTION_CANCEL, 1)
	apply(t, s, coordinator.AssignAttempt{ID: 2, JobID: "j", Task: 1, Worker: "w1", Deadline: now.Add(time.Minute), Time: now})
	next(quarryv1.Action_ACTION_RUN, 2)
	res, _ := json.Marshal(jobs.TaskResult{})
	apply(t, s, coordinator.CompleteAttempt{ID: 2, Result: string(res), Time: now})
	// A won attempt is not cancelled: the next message is the drain's.
	apply(t, s, coordinator.SetWorker{ID: "w1", Slots: 0, Time: now})
	next(quarryv1.Action_ACTION_DRAINED, 0)
}

func TestPullTasksEndsWhenLeadershipGoes(t *testing.T) {
	stores := quietCluster(t, 2)
	var leader *coordinator.Store
	for _, s := range stores {
		if s.IsLeader() {
			leader = s
		}
	}
	if leader == nil {
		t.Fatal("no leader in a 2-node cluster")
	}
	msgs, end := pull(t, serveWorkers(t, coordinator.NewWorkerServer(leader, time.Hour)), "w1")
	select {
	case m := <-msgs:
		t.Fatalf("got %v; want no message before the leader closes", m)
	case err := <-end:
		t.Fatalf("stream ended early: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := leader.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-end:
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("stream end: got %v; want %v", err, codes.Unavailable)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stream still open 10s after the leader closed")
	}
}
