package coordinator_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/jobs"
	"google.golang.org/grpc/codes"
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
	res, _ := json.Marshal(jobs.TaskResult{Key: "jobs/j/s/00000/a1.bin", Summary: []byte{1}})
	report := func(id uint64, worker, result string) *quarryv1.AttemptReport {
		return &quarryv1.AttemptReport{JobId: "j", AttemptId: id, WorkerId: worker, Outcome: quarryv1.Outcome_OUTCOME_SUCCEEDED, ResultKey: result}
	}
	for _, tc := range []struct {
		name     string
		report   *quarryv1.AttemptReport
		code     codes.Code
		accepted bool
	}{
		{"other worker", report(1, "w2", string(res)), codes.PermissionDenied, false},
		{"not a task result", report(1, "w1", "jobs/j/s/00000/a1.bin"), codes.InvalidArgument, false},
		{"first completion", report(1, "w1", string(res)), codes.OK, true},
		{"second attempt", report(2, "w2", string(res)), codes.OK, false},
		{"duplicate", report(1, "w1", string(res)), codes.OK, false},
		{"unknown attempt", report(99, "w1", string(res)), codes.OK, false},
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
