package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/worker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeLeader is a WorkerService that sends what the test queues and
// records the reports and heartbeats; its heartbeats answer abort for the
// attempts in aborted.
type fakeLeader struct {
	quarryv1.UnimplementedWorkerServiceServer
	assign  chan *quarryv1.TaskAssignment
	drop    chan struct{}
	pulls   chan string
	reports chan *quarryv1.AttemptReport
	beats   chan *quarryv1.HeartbeatRequest

	mu      sync.Mutex
	aborted map[uint64]bool
}

func (f *fakeLeader) Heartbeat(_ context.Context, r *quarryv1.HeartbeatRequest) (*quarryv1.HeartbeatResponse, error) {
	select {
	case f.beats <- r:
	default: // the test is not listening
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &quarryv1.HeartbeatResponse{}
	for _, p := range r.GetRunning() {
		if f.aborted[p.GetAttemptId()] {
			resp.Abort = append(resp.Abort, p.GetAttemptId())
		}
	}
	return resp, nil
}

// abort makes the heartbeats answer abort for attempt id.
func (f *fakeLeader) abort(id uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aborted[id] = true
}

func (f *fakeLeader) PullTasks(req *quarryv1.PullRequest, stream quarryv1.WorkerService_PullTasksServer) error {
	f.pulls <- req.GetWorkerId()
	for {
		select {
		case <-stream.Context().Done():
			return stream.Context().Err()
		case <-f.drop:
			return status.Error(codes.Unavailable, "dropped")
		case a := <-f.assign:
			if err := stream.Send(a); err != nil {
				return err
			}
		}
	}
}

func (f *fakeLeader) ReportAttempt(_ context.Context, r *quarryv1.AttemptReport) (*quarryv1.ReportAck, error) {
	f.reports <- r
	return &quarryv1.ReportAck{Accepted: true}, nil
}

// startFake serves a fakeLeader on loopback until the test ends.
func startFake(t *testing.T) (*fakeLeader, string) {
	t.Helper()
	f := &fakeLeader{
		assign:  make(chan *quarryv1.TaskAssignment),
		drop:    make(chan struct{}),
		pulls:   make(chan string, 16),
		reports: make(chan *quarryv1.AttemptReport, 16),
		beats:   make(chan *quarryv1.HeartbeatRequest, 64),
		aborted: map[uint64]bool{},
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	quarryv1.RegisterWorkerServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return f, lis.Addr().String()
}

// blocking makes every read wait until its context ends.
type blocking struct{ objstore.Bucket }

func (blocking) Get(ctx context.Context, _ string) (io.ReadCloser, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b blocking) GetRange(ctx context.Context, key string, _, _ int64) (io.ReadCloser, error) {
	return b.Get(ctx, key)
}

// startWorker starts worker w1 with one slot against the leader at addr
// over b.
func startWorker(t *testing.T, addr string, b objstore.Bucket) *worker.Worker {
	t.Helper()
	return startWorkerWith(t, worker.Config{Slots: 1, Bucket: b, LeaderAddr: addr})
}

// startWorkerWith starts worker w1 with cfg, filling in its id, a fresh
// etcd (unless cfg has one), prefix /wt, short back-off, lease and drain
// acknowledgement timeout (unless set). It is stopped when the test ends.
func startWorkerWith(t *testing.T, cfg worker.Config) *worker.Worker {
	t.Helper()
	cfg.ID, cfg.Prefix = "w1", "/wt"
	if cfg.Etcd == nil {
		cfg.Etcd = etcdtest.Start(t)
	}
	cfg.Backoff, cfg.LeaseTTL = 10*time.Millisecond, time.Second
	if cfg.DrainAckTimeout == 0 {
		cfg.DrainAckTimeout = 200 * time.Millisecond
	}
	w, err := worker.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop(context.Background()) })
	return w
}

func newBucket(t *testing.T) objstore.Bucket {
	t.Helper()
	b, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// runMsg is a RUN of attempt id with spec.
func runMsg(id uint64, spec []byte) *quarryv1.TaskAssignment {
	return &quarryv1.TaskAssignment{Action: quarryv1.Action_ACTION_RUN, AttemptId: id, JobId: "j", Spec: spec}
}

// validSpec is a task that reads dataset "r".
func validSpec(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(jobs.TaskSpec{
		Job: "j", Stage: "size", Op: jobs.OpSize, Buckets: []int{0}, Attempt: "a1",
		Spec: jobs.Spec{Type: jobs.TypeItemsets, Dataset: "r", Version: 1, Itemsets: &jobs.ItemsetsSpec{MinSupport: 0.1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStartConfig(t *testing.T) {
	b := newBucket(t)
	cli := etcdtest.Start(t)
	for _, tc := range []struct {
		name string
		cfg  worker.Config
	}{
		{"no id", worker.Config{Bucket: b, Etcd: cli}},
		{"no bucket", worker.Config{ID: "w", Etcd: cli}},
		{"no etcd", worker.Config{ID: "w", Bucket: b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := worker.Start(context.Background(), tc.cfg)
			if !errors.Is(err, worker.ErrConfig) {
				t.Fatalf("got %v; want %v", err, worker.ErrConfig)
			}
		})
	}
}

func TestFailureReported(t *testing.T) {
	f, addr := startFake(t)
	startWorker(t, addr, newBucket(t))
	<-f.pulls
	f.assign <- runMsg(7, []byte("{"))
	select {
	case r := <-f.reports:
		if r.GetAttemptId() != 7 || r.GetOutcome() != quarryv1.Outcome_OUTCOME_FAILED || !strings.Contains(r.GetError(), "decode task spec") {
			t.Fatalf("report: got %v; want attempt 7 failed decoding its spec", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report within 10s")
	}
}

func TestCancelAndReconnect(t *testing.T) {
	f, addr := startFake(t)
	w := startWorker(t, addr, blocking{newBucket(t)})
	<-f.pulls
	f.assign <- runMsg(3, validSpec(t))
	eventually(t, "attempt 3 running", func() bool { return w.Running() == 1 })

	// A dropped stream is reopened; the re-sent RUN of a running attempt
	// does not start it twice.
	f.drop <- struct{}{}
	select {
	case <-f.pulls:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnection within 10s")
	}
	f.assign <- runMsg(3, validSpec(t))
	if got := w.Running(); got != 1 {
		t.Fatalf("running after a re-sent RUN: got %d; want 1", got)
	}

	f.assign <- &quarryv1.TaskAssignment{Action: quarryv1.Action_ACTION_CANCEL, AttemptId: 3}
	eventually(t, "attempt 3 cancelled", func() bool { return w.Running() == 0 })
	select {
	case r := <-f.reports:
		t.Fatalf("report of a cancelled attempt: got %v; want none", r)
	default:
	}
	if err := w.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}
