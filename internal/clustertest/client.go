package clustertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
)

// CallTimeout bounds one RPC of the helpers below.
const CallTimeout = 5 * time.Second

// Conn returns a client connection to addr, shared by the cluster's
// callers and closed when the test ends (connections are lazy; a dead
// address only fails the calls made on it).
func (c *Cluster) Conn(addr string) (*grpc.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc, ok := c.conns[addr]; ok {
		return cc, nil
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	c.conns[addr] = cc
	return cc, nil
}

// Leads reports whether co's health service says its JobService serves,
// which only the leader's does.
func (c *Cluster) Leads(co *Coordinator) bool {
	if !co.Running() {
		return false
	}
	cc, err := c.Conn(co.GRPCAddr)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r, err := healthpb.NewHealthClient(cc).Check(ctx,
		&healthpb.HealthCheckRequest{Service: quarryv1.JobService_ServiceDesc.ServiceName})
	return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING
}

// Serving reports whether co's process runs and its gRPC server answers
// health checks (as every replica does, leader or not).
func (c *Cluster) Serving(co *Coordinator) bool {
	if !co.Running() {
		return false
	}
	cc, err := c.Conn(co.GRPCAddr)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING
}

// Leader returns the coordinator that leads now, or nil.
func (c *Cluster) Leader() *Coordinator {
	for _, co := range c.Coords {
		if c.Leads(co) {
			return co
		}
	}
	return nil
}

// WaitLeader waits up to within for a coordinator other than not (may be
// nil) to lead, and returns it.
func (c *Cluster) WaitLeader(within time.Duration, not *Coordinator) (*Coordinator, error) {
	var found *Coordinator
	err := WaitFor(within, "a coordinator leads", func() bool {
		for _, co := range c.Coords {
			if co != not && c.Leads(co) {
				found = co
				return true
			}
		}
		return false
	})
	return found, err
}

// Retryable reports whether a JobService error means "ask again, maybe
// elsewhere": not the leader, unreachable, or too slow.
func Retryable(err error) bool {
	switch status.Code(err) {
	case codes.FailedPrecondition, codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// Call runs fn against whichever running coordinator accepts it, for up
// to within, while they answer with Retryable errors; it returns the first
// other error, naming the coordinator.
func (c *Cluster) Call(within time.Duration, fn func(context.Context, quarryv1.JobServiceClient) error) error {
	var last error
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, co := range c.Coords {
			if !co.Running() {
				continue
			}
			cc, err := c.Conn(co.GRPCAddr)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
			last = fn(ctx, quarryv1.NewJobServiceClient(cc))
			cancel()
			if last == nil {
				return nil
			}
			if !Retryable(last) {
				return fmt.Errorf("coordinator %s: %w", co.ID, last)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last == nil {
		last = errors.New("no coordinator running")
	}
	return fmt.Errorf("no coordinator answered for %v: %w", within, last)
}

// Submit submits spec (jobs.Spec JSON) with request id id, the job's id.
func (c *Cluster) Submit(id, spec string) (*quarryv1.JobStatus, error) {
	var st *quarryv1.JobStatus
	err := c.Call(30*time.Second, func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
		st, err = cli.SubmitJob(ctx, &quarryv1.SubmitJobRequest{RequestId: id, Spec: []byte(spec)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("submit job %s: %w", id, err)
	}
	return st, nil
}

// Job returns job id's status, with its results once it succeeded.
func (c *Cluster) Job(id string) (*quarryv1.JobStatus, error) {
	var st *quarryv1.JobStatus
	err := c.Call(30*time.Second, func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
		st, err = cli.GetJob(ctx, &quarryv1.GetJobRequest{JobId: id})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	return st, nil
}

// Jobs lists every job, newest first, reading every page from one
// leader (the statuses have no results: ListJobs reads only the FSM).
func (c *Cluster) Jobs() ([]*quarryv1.JobStatus, error) {
	var out []*quarryv1.JobStatus
	err := c.Call(30*time.Second, func(ctx context.Context, cli quarryv1.JobServiceClient) error {
		out = out[:0]
		token := ""
		for {
			r, err := cli.ListJobs(ctx, &quarryv1.ListJobsRequest{PageSize: 1000, PageToken: token})
			if err != nil {
				return err
			}
			out = append(out, r.Jobs...)
			if token = r.NextPageToken; token == "" {
				return nil
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// Workers returns the workers the leader knows, by id.
func (c *Cluster) Workers() (map[string]*quarryv1.WorkerStatus, error) {
	var r *quarryv1.ListWorkersResponse
	err := c.Call(30*time.Second, func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
		r, err = cli.ListWorkers(ctx, &quarryv1.ListWorkersRequest{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	out := map[string]*quarryv1.WorkerStatus{}
	for _, w := range r.Workers {
		out[w.Id] = w
	}
	return out, nil
}

// WaitWorkers waits up to within until the leader knows exactly the
// workers ids.
func (c *Cluster) WaitWorkers(within time.Duration, ids ...string) error {
	var err error
	werr := WaitFor(within, fmt.Sprintf("workers %v registered", ids), func() bool {
		var ws map[string]*quarryv1.WorkerStatus
		if ws, err = c.Workers(); err != nil {
			return false
		}
		for _, id := range ids {
			if ws[id] == nil {
				return false
			}
		}
		return len(ws) == len(ids)
	})
	if werr != nil && err != nil {
		return fmt.Errorf("%w (last: %w)", werr, err)
	}
	return werr
}

// Terminal reports whether a job state is final.
func Terminal(s quarryv1.JobState) bool {
	switch s {
	case quarryv1.JobState_JOB_STATE_SUCCEEDED, quarryv1.JobState_JOB_STATE_FAILED, quarryv1.JobState_JOB_STATE_CANCELLED:
		return true
	}
	return false
}

// WaitJob waits up to within for job id to end and returns its status.
func (c *Cluster) WaitJob(id string, within time.Duration) (*quarryv1.JobStatus, error) {
	var (
		st  *quarryv1.JobStatus
		err error
	)
	werr := WaitFor(within, "job "+id+" ends", func() bool {
		st, err = c.Job(id)
		return err == nil && Terminal(st.State)
	})
	if werr != nil {
		if err != nil {
			return nil, fmt.Errorf("%w (last: %w)", werr, err)
		}
		return nil, fmt.Errorf("%w: %s", werr, Progress(st))
	}
	return st, nil
}

// WaitFor polls cond every 10 ms until it holds, and fails after within.
func WaitFor(within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Progress describes a job's state and stages in one line.
func Progress(st *quarryv1.JobStatus) string {
	if st == nil {
		return "(no status)"
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(strings.TrimPrefix(st.State.String(), "JOB_STATE_")))
	for _, s := range st.Stages {
		fmt.Fprintf(&b, " | %s %d/%d running %d failed %d", s.Name, s.TasksDone, s.TasksTotal, s.TasksRunning, s.AttemptsFailed)
	}
	return b.String()
}
