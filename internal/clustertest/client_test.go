package clustertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
)

// rulesSpec is the job every scenario runs: itemsets with rules over "r",
// two stages of partitions tasks each.
const rulesSpec = `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.02,"rules":{"min_confidence":0.3}}}`

var (
	connMu sync.Mutex
	conns  = map[string]*grpc.ClientConn{}
)

// conn returns a client connection to addr, shared by the test binary
// (connections are lazy; a dead address only fails the calls made on it).
func conn(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	connMu.Lock()
	defer connMu.Unlock()
	if cc, ok := conns[addr]; ok {
		return cc
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	conns[addr] = cc
	t.Cleanup(func() {
		connMu.Lock()
		delete(conns, addr)
		connMu.Unlock()
		cc.Close()
	})
	return cc
}

// leads reports whether co's health service says its JobService serves,
// which only the leader's does.
func (c *cluster) leads(co *coordinator) bool {
	if co.proc.Exited() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r, err := healthpb.NewHealthClient(conn(c.t, co.grpcAddr)).Check(ctx,
		&healthpb.HealthCheckRequest{Service: quarryv1.JobService_ServiceDesc.ServiceName})
	return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING
}

// leader waits up to within for a coordinator other than not (may be nil)
// to lead, and returns it.
func (c *cluster) leader(within time.Duration, not *coordinator) *coordinator {
	c.t.Helper()
	var found *coordinator
	waitFor(c.t, within, "a coordinator leads", func() bool {
		for _, co := range c.coords {
			if co != not && c.leads(co) {
				found = co
				return true
			}
		}
		return false
	})
	return found
}

// call runs fn against whichever live coordinator accepts it, retrying
// while they answer "not the leader" or are unreachable, for up to 30 s.
func (c *cluster) call(fn func(context.Context, quarryv1.JobServiceClient) error) {
	c.t.Helper()
	var last error
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, co := range c.coords {
			if co.proc.Exited() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			last = fn(ctx, quarryv1.NewJobServiceClient(conn(c.t, co.grpcAddr)))
			cancel()
			if last == nil {
				return
			}
			switch status.Code(last) {
			case codes.FailedPrecondition, codes.Unavailable, codes.DeadlineExceeded:
			default:
				c.t.Fatalf("coordinator %s: %v", co.id, last)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no coordinator answered for 30 s: %v", last)
}

// submit submits rulesSpec as job id.
func (c *cluster) submit(id string) {
	c.t.Helper()
	c.call(func(ctx context.Context, cli quarryv1.JobServiceClient) error {
		_, err := cli.SubmitJob(ctx, &quarryv1.SubmitJobRequest{RequestId: id, Spec: []byte(rulesSpec)})
		return err
	})
}

// job returns job id's status.
func (c *cluster) job(id string) *quarryv1.JobStatus {
	c.t.Helper()
	var st *quarryv1.JobStatus
	c.call(func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
		st, err = cli.GetJob(ctx, &quarryv1.GetJobRequest{JobId: id})
		return err
	})
	return st
}

// workers returns the workers the leader knows, by id.
func (c *cluster) workers() map[string]*quarryv1.WorkerStatus {
	c.t.Helper()
	var r *quarryv1.ListWorkersResponse
	c.call(func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
		r, err = cli.ListWorkers(ctx, &quarryv1.ListWorkersRequest{})
		return err
	})
	out := map[string]*quarryv1.WorkerStatus{}
	for _, w := range r.Workers {
		out[w.Id] = w
	}
	return out
}

// waitWorkers waits until the leader knows exactly the workers ids.
func (c *cluster) waitWorkers(ids ...string) {
	c.t.Helper()
	waitFor(c.t, 30*time.Second, "workers registered", func() bool {
		ws := c.workers()
		for _, id := range ids {
			if ws[id] == nil {
				return false
			}
		}
		return len(ws) == len(ids)
	})
}

// waitJob waits up to within for job id to end and returns its status.
func (c *cluster) waitJob(id string, within time.Duration) *quarryv1.JobStatus {
	c.t.Helper()
	var st *quarryv1.JobStatus
	waitFor(c.t, within, "job "+id+" ends", func() bool {
		st = c.job(id)
		switch st.State {
		case quarryv1.JobState_JOB_STATE_SUCCEEDED, quarryv1.JobState_JOB_STATE_FAILED, quarryv1.JobState_JOB_STATE_CANCELLED:
			return true
		}
		return false
	})
	return st
}

// waitFor polls cond every 10 ms until it holds, failing the test after
// within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
