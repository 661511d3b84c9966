package coordinator_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/internal/testenv"
)

// startNodes starts a static group of n coordinator nodes over one store
// and etcd, and returns them once one leads.
func startNodes(t *testing.T, n int) ([]*coordinator.Node, *testCluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &testCluster{bucket: newBucket(t), etcd: etcdtest.Start(t)}
	var peers []coordinator.Peer
	for i, addr := range testenv.MustFreeAddrs(t, n) {
		peers = append(peers, coordinator.Peer{ID: "c" + strconv.Itoa(i), RaftAddr: addr})
	}
	dir := t.TempDir()
	var nodes []*coordinator.Node
	for i, p := range peers {
		cfg := coordinator.LocalConfig(p.ID, filepath.Join(dir, p.ID))
		cfg.BindAddr = p.RaftAddr
		node, err := coordinator.StartNode(ctx, coordinator.NodeConfig{
			Raft: cfg, Peers: peers, Bucket: c.bucket, Etcd: c.etcd, Prefix: e2ePrefix,
			GRPCAddr: "127.0.0.1:0", HTTPAddr: map[bool]string{true: "127.0.0.1:0"}[i == 0],
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := node.Close(); err != nil {
				t.Errorf("close %s: %v", p.ID, err)
			}
		})
		nodes = append(nodes, node)
	}
	for _, node := range nodes {
		if _, err := node.Store().WaitForLeader(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return nodes, c
}

// leadingNode returns the node that leads, waiting for one.
func leadingNode(t *testing.T, nodes []*coordinator.Node) (leader *coordinator.Node, followers []*coordinator.Node) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		followers = followers[:0]
		for _, n := range nodes {
			if n.Store().IsLeader() {
				leader = n
			} else {
				followers = append(followers, n)
			}
		}
		if leader != nil {
			return leader, followers
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no node leads after 10 s")
	return nil, nil
}

// dial returns a client connection to addr, closed when the test ends.
func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestNodeJobService runs a three-node group with two workers and drives a
// job through the JobService: followers name the leader, submission is
// idempotent by request id, the watch ends at the terminal status, the
// result equals jobs.RunLocal, and the listings and health follow.
func TestNodeJobService(t *testing.T) {
	nodes, c := startNodes(t, 3)
	leader, followers := leadingNode(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A follower answers FAILED_PRECONDITION naming the leader's gRPC
	// address (published in etcd; it may take a moment to be seen).
	fc := quarryv1.NewJobServiceClient(dial(t, followers[0].GRPCAddr()))
	var named string
	for deadline := time.Now().Add(10 * time.Second); named == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, err := fc.ListJobs(ctx, &quarryv1.ListJobsRequest{})
		st := status.Convert(err)
		if st.Code() != codes.FailedPrecondition {
			t.Fatalf("follower ListJobs: got %v; want FailedPrecondition", err)
		}
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason == coordinator.NotLeaderReason {
				named = info.Metadata["leader_addr"]
			}
		}
	}
	if named != leader.GRPCAddr() {
		t.Fatalf("follower names leader at %q; want %q", named, leader.GRPCAddr())
	}

	// Health follows leadership.
	hc := healthpb.NewHealthClient(dial(t, leader.GRPCAddr()))
	fh := healthpb.NewHealthClient(dial(t, followers[0].GRPCAddr()))
	svc := quarryv1.JobService_ServiceDesc.ServiceName
	waitHealth(t, hc, svc, healthpb.HealthCheckResponse_SERVING)
	waitHealth(t, fh, svc, healthpb.HealthCheckResponse_NOT_SERVING)
	waitHealth(t, fh, "", healthpb.HealthCheckResponse_SERVING)

	c.startWorker(t, "w1", 2, c.bucket, "")
	c.startWorker(t, "w2", 2, c.bucket, "")
	c.store = leader.Store()
	c.waitWorkers(t, "w1", "w2")

	jc := quarryv1.NewJobServiceClient(dial(t, leader.GRPCAddr()))
	req := &quarryv1.SubmitJobRequest{Type: quarryv1.JobType_JOB_TYPE_RULES, Dataset: "r", RequestId: "node-job",
		Spec: []byte(`{"itemsets":{"min_support":0.02,"rules":{"min_confidence":0.3}}}`)}
	first, err := jc.SubmitJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.JobId != "node-job" || first.Type != quarryv1.JobType_JOB_TYPE_RULES || first.DatasetVersion != "v1" {
		t.Fatalf("submit: got %v; want job node-job of type RULES over r v1", first)
	}
	again, err := jc.SubmitJob(ctx, req)
	if err != nil || again.JobId != "node-job" {
		t.Fatalf("resubmit with the same request id: got %v, %v; want the first job", again, err)
	}
	if _, err := jc.SubmitJob(ctx, &quarryv1.SubmitJobRequest{Type: quarryv1.JobType_JOB_TYPE_SEQUENCES, Dataset: "r", Spec: []byte(`{"type":"itemsets"}`)}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("submit with a type contradicting the spec: got %v; want InvalidArgument", err)
	}

	stream, err := jc.WatchJob(ctx, &quarryv1.WatchJobRequest{JobId: "node-job"})
	if err != nil {
		t.Fatal(err)
	}
	var last *quarryv1.JobStatus
	statuses := 0
	for {
		st, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		statuses++
		last = st
	}
	if last == nil || last.State != quarryv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("watch ended at %v; want SUCCEEDED", last)
	}
	t.Logf("watch sent %d statuses", statuses)
	for _, s := range last.Stages {
		if s.TasksDone != s.TasksTotal || s.TasksTotal == 0 {
			t.Errorf("stage %s: got %d of %d tasks done; want all", s.Name, s.TasksDone, s.TasksTotal)
		}
	}
	if len(last.Results) == 0 {
		t.Fatal("succeeded job lists no results")
	}
	if last.Stages[0].RowsProcessed == 0 {
		t.Errorf("stage %s: got 0 rows processed; want the rows read", last.Stages[0].Name)
	}
	sameResults(t, c.bucket, runLocal(t, "node-job"), "node-job")

	got, err := jc.CancelJob(ctx, &quarryv1.CancelJobRequest{JobId: "node-job"})
	if err != nil || got.State != quarryv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("cancel a finished job: got %v, %v; want its succeeded status", got, err)
	}
	if _, err := jc.GetJob(ctx, &quarryv1.GetJobRequest{JobId: "nope"}); status.Code(err) != codes.NotFound {
		t.Fatalf("get unknown job: got %v; want NotFound", err)
	}

	ds, err := jc.ListDatasets(ctx, &quarryv1.ListDatasetsRequest{})
	if err != nil || len(ds.Datasets) != 1 || ds.Datasets[0].Name != "r" || ds.Datasets[0].Partitions != 4 || ds.Datasets[0].Transactions == 0 {
		t.Fatalf("list datasets: got %v, %v; want r with 4 partitions", ds, err)
	}
	ws, err := jc.ListWorkers(ctx, &quarryv1.ListWorkersRequest{})
	if err != nil || len(ws.Workers) != 2 || ws.Workers[0].Id != "w1" || ws.Workers[1].Slots != 2 {
		t.Fatalf("list workers: got %v, %v; want w1 and w2 with 2 slots", ws, err)
	}
	for _, w := range ws.Workers {
		if w.StartedAt == nil || w.RegisteredAt == nil || w.RegisteredAt.AsTime().Before(w.StartedAt.AsTime()) {
			t.Errorf("worker %s: started %v, registered %v; want both, registered after started", w.Id, w.StartedAt, w.RegisteredAt)
		}
	}
}

// waitHealth waits until service reports want on c.
func waitHealth(t *testing.T, c healthpb.HealthClient, service string, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	var got healthpb.HealthCheckResponse_ServingStatus
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r, err := c.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
		if err == nil && r.Status == want {
			return
		}
		if err == nil {
			got = r.Status
		}
	}
	t.Fatalf("health of %q: got %v; want %v", service, got, want)
}

// TestNodeListAndCancel checks ListJobs' pages and filters and that
// cancelling a job that cannot run (no workers) ends it CANCELLED.
func TestNodeListAndCancel(t *testing.T) {
	nodes, _ := startNodes(t, 1)
	jc := quarryv1.NewJobServiceClient(dial(t, nodes[0].GRPCAddr()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 5 {
		_, err := jc.SubmitJob(ctx, &quarryv1.SubmitJobRequest{RequestId: "j" + strconv.Itoa(i),
			Spec: []byte(`{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.05}}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("ListJobs keeps returning pages")
		}
		r, err := jc.ListJobs(ctx, &quarryv1.ListJobsRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range r.Jobs {
			ids = append(ids, j.JobId)
		}
		if token = r.NextPageToken; token == "" {
			break
		}
	}
	if got, want := ids, []string{"j4", "j3", "j2", "j1", "j0"}; !slices.Equal(got, want) {
		t.Fatalf("paged ListJobs: got %v; want %v", got, want)
	}
	if _, err := jc.ListJobs(ctx, &quarryv1.ListJobsRequest{PageToken: "x"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad page token: got %v; want InvalidArgument", err)
	}

	st, err := jc.CancelJob(ctx, &quarryv1.CancelJobRequest{JobId: "j2", Reason: "not needed"})
	if err != nil || st.State != quarryv1.JobState_JOB_STATE_CANCELLED || st.Reason != "not needed" {
		t.Fatalf("cancel: got %v, %v; want CANCELLED with the reason", st, err)
	}
	r, err := jc.ListJobs(ctx, &quarryv1.ListJobsRequest{States: []quarryv1.JobState{quarryv1.JobState_JOB_STATE_CANCELLED}})
	if err != nil || len(r.Jobs) != 1 || r.Jobs[0].JobId != "j2" {
		t.Fatalf("list cancelled jobs: got %v, %v; want j2 alone", r, err)
	}
	if _, err := jc.SubmitJob(ctx, &quarryv1.SubmitJobRequest{Spec: []byte(`{"type":"itemsets","dataset":"nope","itemsets":{"min_support":0.05}}`)}); status.Code(err) != codes.NotFound {
		t.Fatalf("submit over an unknown dataset: got %v; want NotFound", err)
	}
}
