package coordinator_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestSubmissionBurst submits 1,000 jobs at once from 32 clients to a
// three-node group with no worker, and 100 of them a second time (issue 7:
// "the job API under a burst of 1,000 submissions queues them all without
// loss"): every submission is accepted, a resubmission answers the first
// job, and the leader and both followers list each job exactly once.
func TestSubmissionBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 raft submissions: skipped with -short")
	}
	const jobsN, senders, again = 1000, 32, 100
	nodes, _ := startNodes(t, 3)
	clients := map[*coordinator.Node]quarryv1.JobServiceClient{}
	for _, n := range nodes {
		clients[n] = quarryv1.NewJobServiceClient(dial(t, n.GRPCAddr()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	reqID := func(i int) string { return fmt.Sprintf("burst-%04d", i) }
	// submit asks the leader, as a client following NOT_LEADER would: on a
	// loaded machine (the race detector, parallel packages) an election may
	// run during the burst, and a submission that lost its leader is sent
	// again under the same request id.
	submit := func(i int) (st *quarryv1.JobStatus, err error) {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			leader, _ := leadingNode(t, nodes)
			st, err = clients[leader].SubmitJob(ctx, &quarryv1.SubmitJobRequest{
				Type: quarryv1.JobType_JOB_TYPE_RULES, Dataset: "r", RequestId: reqID(i),
				Priority: quarryv1.Priority(1 + i%3),
				Spec:     []byte(`{"itemsets":{"min_support":0.02,"rules":{"min_confidence":0.3}}}`),
			})
			switch status.Code(err) {
			case codes.Unavailable, codes.FailedPrecondition:
				if time.Now().Before(deadline) {
					continue
				}
			}
			return st, err
		}
	}
	work := make(chan int)
	var (
		mu   sync.Mutex
		errs []error
		ids  = map[int]string{}
		wg   sync.WaitGroup
	)
	for range senders {
		wg.Go(func() {
			for i := range work {
				st, err := submit(i % jobsN)
				mu.Lock()
				switch {
				case err != nil:
					errs = append(errs, fmt.Errorf("submit %s: %w", reqID(i%jobsN), err))
				case ids[i%jobsN] != "" && ids[i%jobsN] != st.JobId:
					errs = append(errs, fmt.Errorf("resubmit %s: got job %s; want %s", reqID(i%jobsN), st.JobId, ids[i%jobsN]))
				default:
					ids[i%jobsN] = st.JobId
				}
				mu.Unlock()
			}
		})
	}
	for i := range jobsN + again {
		work <- i // i ≥ jobsN resubmits job i−jobsN, racing its first submission
	}
	close(work)
	wg.Wait()
	leader, followers := leadingNode(t, nodes)
	jc := clients[leader]
	for _, err := range errs[:min(len(errs), 10)] {
		t.Error(err)
	}
	if len(ids) != jobsN {
		t.Fatalf("jobs accepted: got %d; want %d", len(ids), jobsN)
	}

	// Every node's replicated state lists each job once (the followers
	// once they have applied the leader's log).
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	if got := listAll(t, ctx, jc); !sameSet(got, want) {
		t.Errorf("leader lists %d jobs (%d distinct); want the %d submitted", len(got), len(distinct(got)), jobsN)
	}
	for _, f := range followers {
		deadline := time.Now().Add(20 * time.Second)
		for {
			js := f.Store().FSM().Jobs()
			got := make([]string, 0, len(js))
			for _, j := range js {
				got = append(got, j.ID)
			}
			if sameSet(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("follower state holds %d jobs; want the %d submitted", len(got), jobsN)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// listAll pages through ListJobs and returns every job id.
func listAll(t *testing.T, ctx context.Context, jc quarryv1.JobServiceClient) []string {
	t.Helper()
	var out []string
	token := ""
	for {
		r, err := jc.ListJobs(ctx, &quarryv1.ListJobsRequest{PageSize: 100, PageToken: token})
		if err != nil {
			t.Fatalf("list jobs: %v", err)
		}
		for _, j := range r.Jobs {
			out = append(out, j.JobId)
		}
		if token = r.NextPageToken; token == "" {
			return out
		}
	}
}

// sameSet reports whether got holds each id of want exactly once and
// nothing else.
func sameSet(got []string, want map[string]bool) bool {
	return len(got) == len(want) && len(distinct(got)) == len(got) && func() bool {
		for _, id := range got {
			if !want[id] {
				return false
			}
		}
		return true
	}()
}

// distinct returns the set of ids.
func distinct(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}
