package quarryv1_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
)

// fakeLeader pushes a fixed list of assignments on every stream and accepts
// a report only for the attempt it calls current, like the FSM's fencing.
type fakeLeader struct {
	quarryv1.UnimplementedWorkerServiceServer
	assignments []*quarryv1.TaskAssignment
	current     uint64
}

func (f *fakeLeader) PullTasks(req *quarryv1.PullRequest, stream grpc.ServerStreamingServer[quarryv1.TaskAssignment]) error {
	for i, a := range f.assignments {
		if uint32(i) >= req.GetFreeSlots() {
			break
		}
		if err := stream.Send(a); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeLeader) ReportAttempt(_ context.Context, r *quarryv1.AttemptReport) (*quarryv1.ReportAck, error) {
	if r.GetAttemptId() != f.current {
		return &quarryv1.ReportAck{Reason: "stale attempt"}, nil
	}
	return &quarryv1.ReportAck{Accepted: true}, nil
}

func startFake(t *testing.T, srv quarryv1.WorkerServiceServer) quarryv1.WorkerServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	quarryv1.RegisterWorkerServiceServer(s, srv)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return quarryv1.NewWorkerServiceClient(conn)
}

func TestWorkerServiceOverLoopback(t *testing.T) {
	deadline := timestamppb.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	fake := &fakeLeader{
		assignments: []*quarryv1.TaskAssignment{
			{Action: quarryv1.Action_ACTION_RUN, AttemptId: 7, JobId: "j1", JobType: quarryv1.JobType_JOB_TYPE_ITEMSETS,
				Stage: 1, Task: 3, Attempt: 1, Spec: []byte(`{"min_support":0.2}`), Deadline: deadline,
				InputKeys: []string{"datasets/retail/v1/part-00003"}, OutputKey: "jobs/j1/1/3/attempt-7"},
			{Action: quarryv1.Action_ACTION_CANCEL, AttemptId: 5, JobId: "j0"},
			{Action: quarryv1.Action_ACTION_RUN, AttemptId: 8, JobId: "j1", Stage: 1, Task: 4, Attempt: 2, Speculative: true},
		},
		current: 7,
	}
	cli := startFake(t, fake)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	stream, err := cli.PullTasks(ctx, &quarryv1.PullRequest{WorkerId: "w1", FreeSlots: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []*quarryv1.TaskAssignment
	for {
		a, err := stream.Recv()
		if err != nil {
			break
		}
		got = append(got, a)
	}
	if len(got) != 2 {
		t.Fatalf("got %d assignments; want 2 (free_slots)", len(got))
	}
	for i, a := range got {
		if !proto.Equal(a, fake.assignments[i]) {
			t.Errorf("assignment %d: got %v; want %v", i, a, fake.assignments[i])
		}
	}

	tests := []struct {
		name    string
		attempt uint64
		want    bool
	}{
		{"current attempt accepted", 7, true},
		{"stale attempt refused", 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack, err := cli.ReportAttempt(ctx, &quarryv1.AttemptReport{
				JobId: "j1", Stage: 1, Task: 3, AttemptId: tt.attempt, WorkerId: "w1",
				Outcome: quarryv1.Outcome_OUTCOME_SUCCEEDED, ResultKey: "jobs/j1/1/3/attempt-7",
				RowsRead: 8124, Duration: durationpb.New(1500 * time.Millisecond),
			})
			if err != nil {
				t.Fatal(err)
			}
			if ack.GetAccepted() != tt.want {
				t.Errorf("got accepted=%v (reason %q); want %v", ack.GetAccepted(), ack.GetReason(), tt.want)
			}
		})
	}
}

// TestEnumZeroValuesUnspecified checks the house rule that every enum's zero
// value is its UNSPECIFIED member.
func TestEnumZeroValuesUnspecified(t *testing.T) {
	fd := quarryv1.File_quarry_v1_quarry_proto
	enums := fd.Enums()
	if enums.Len() == 0 {
		t.Fatal("got no enums; want some")
	}
	for i := 0; i < enums.Len(); i++ {
		e := enums.Get(i)
		zero := e.Values().ByNumber(0)
		if zero == nil {
			t.Errorf("enum %s: got no zero value; want *_UNSPECIFIED", e.Name())
			continue
		}
		if name := string(zero.Name()); len(name) < 12 || name[len(name)-12:] != "_UNSPECIFIED" {
			t.Errorf("enum %s: got zero value %s; want *_UNSPECIFIED", e.Name(), name)
		}
	}
}
