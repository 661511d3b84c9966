package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// NotLeaderReason is the errdetails.ErrorInfo reason of a follower's
// answer; its metadata names the leader ("leader_id", "leader_addr": the
// leader's gRPC address, when known), so a client calls there instead.
const NotLeaderReason = "NOT_LEADER"

// defaultPageSize and maxPageSize bound a ListJobs page.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// JobServer serves quarry.v1.JobService on a coordinator replica. Every call
// is answered by the leader; a follower answers FAILED_PRECONDITION with an
// errdetails.ErrorInfo naming the leader (NotLeaderReason), so that clients
// see one consistent, never stale, view of the jobs.
type JobServer struct {
	quarryv1.UnimplementedJobServiceServer

	store  *Store
	driver *Driver
	bucket objstore.Bucket
	// LeaderAddr, if set, maps the leader's raft id to its gRPC address
	// for the answers of a follower.
	LeaderAddr func(id string) string
	// WatchInterval is how often WatchJob looks for a change when the FSM
	// has not signalled one (default 1 s).
	WatchInterval time.Duration
}

// NewJobServer returns the JobService of a replica: jobs are submitted
// through driver, read from store's FSM, and datasets listed from bucket.
func NewJobServer(store *Store, driver *Driver, bucket objstore.Bucket) *JobServer {
	return &JobServer{store: store, driver: driver, bucket: bucket, WatchInterval: time.Second}
}

// leading answers nil on the leader and the follower's status otherwise.
func (s *JobServer) leading() error {
	if s.store.IsLeader() {
		return nil
	}
	id, _ := s.store.Leader()
	addr := ""
	if s.LeaderAddr != nil && id != "" {
		addr = s.LeaderAddr(id)
	}
	st := status.New(codes.FailedPrecondition, fmt.Sprintf("not the leader; leader %q at %q", id, addr))
	if d, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason: NotLeaderReason, Domain: "quarry.v1",
		Metadata: map[string]string{"leader_id": id, "leader_addr": addr},
	}); err == nil {
		st = d
	}
	return st.Err()
}

// SubmitJob implements JobService. The spec is jobs.Spec JSON; the
// request's type and dataset fill in what the spec leaves out and must
// agree with what it says. A request_id becomes the job's id, so
// submitting it again returns the first job's status.
func (s *JobServer) SubmitJob(ctx context.Context, r *quarryv1.SubmitJobRequest) (*quarryv1.JobStatus, error) {
	if err := s.leading(); err != nil {
		return nil, err
	}
	if r.GetRequestId() != "" {
		if err := validField("request_id", r.GetRequestId()); err != nil {
			return nil, err
		}
	}
	if r.GetDataset() != "" {
		if err := dataset.ValidateName(r.GetDataset()); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "dataset: %v", err)
		}
	}
	spec, err := mergeSpec(r)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	id := r.GetRequestId()
	if id == "" {
		id = newJobID()
	}
	err = s.driver.Submit(ctx, id, spec, priorityOf(r.GetPriority()))
	if err != nil && !(r.GetRequestId() != "" && errors.Is(err, ErrJobExists)) {
		return nil, submitStatus(err)
	}
	return s.status(ctx, id)
}

// mergeSpec returns the request's spec JSON with its type and dataset
// filled in from the request.
func mergeSpec(r *quarryv1.SubmitJobRequest) ([]byte, error) {
	if len(r.GetSpec()) == 0 && r.GetType() == quarryv1.JobType_JOB_TYPE_UNSPECIFIED {
		return nil, errors.New("spec: required")
	}
	fields := map[string]json.RawMessage{}
	if len(r.GetSpec()) > 0 {
		if err := json.Unmarshal(r.GetSpec(), &fields); err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		if fields == nil { // JSON null
			return nil, errors.New("spec: want a JSON object, not null")
		}
	}
	set := func(name, want string) error {
		if want == "" {
			return nil
		}
		raw, ok := fields[name]
		if !ok {
			fields[name], _ = json.Marshal(want)
			return nil
		}
		var have string
		if err := json.Unmarshal(raw, &have); err != nil || have != want {
			return fmt.Errorf("spec: %q is %s but the request says %q", name, raw, want)
		}
		return nil
	}
	if err := set("type", typeName(r.GetType())); err != nil {
		return nil, err
	}
	if err := set("dataset", r.GetDataset()); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// submitStatus maps a Driver.Submit error to its gRPC status.
func submitStatus(err error) error {
	switch {
	case errors.Is(err, jobs.ErrInvalidSpec), errors.Is(err, dataset.ErrInvalidName):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, dataset.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, jobs.ErrPlan):
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	return statusOf(err)
}

// validField answers InvalidArgument naming field unless id is a valid
// job id (jobs.ValidateID): ids become object keys.
func validField(field, id string) error {
	if err := jobs.ValidateID(id); err != nil {
		return status.Errorf(codes.InvalidArgument, "%s: %v", field, err)
	}
	return nil
}

// GetJob implements JobService.
func (s *JobServer) GetJob(ctx context.Context, r *quarryv1.GetJobRequest) (*quarryv1.JobStatus, error) {
	if err := validField("job_id", r.GetJobId()); err != nil {
		return nil, err
	}
	if err := s.leading(); err != nil {
		return nil, err
	}
	return s.status(ctx, r.GetJobId())
}

// status returns job id's status, with its result objects once it
// succeeded.
func (s *JobServer) status(ctx context.Context, id string) (*quarryv1.JobStatus, error) {
	j, ok := s.store.FSM().Job(id)
	if !ok {
		return nil, status.Errorf(codes.NotFound, "job %q not found", id)
	}
	st := JobStatusOf(j)
	if key, ok := ResultKey(j); ok && j.Type == string(jobs.TypeImport) {
		st.Results = []*quarryv1.ResultObject{{Key: key, Format: "json", Kind: "dataset"}}
	} else if j.State == scheduler.JobSucceeded {
		m, err := jobs.LoadResult(ctx, s.bucket, id)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "job %s: load result manifest: %v", id, err)
		}
		st.Results = resultObjects(m)
	}
	return st, nil
}

// ListJobs implements JobService: newest first, page_token being the
// submission number to continue below.
func (s *JobServer) ListJobs(_ context.Context, r *quarryv1.ListJobsRequest) (*quarryv1.ListJobsResponse, error) {
	if err := s.leading(); err != nil {
		return nil, err
	}
	size := int(r.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	if r.GetDataset() != "" {
		if err := dataset.ValidateName(r.GetDataset()); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "dataset: %v", err)
		}
	}
	below := uint64(0)
	if t := r.GetPageToken(); t != "" {
		v, err := strconv.ParseUint(t, 10, 64)
		if err != nil || v == 0 {
			return nil, status.Errorf(codes.InvalidArgument, "page_token %q is not one this server gave", t)
		}
		below = v
	}
	out := &quarryv1.ListJobsResponse{}
	for _, j := range slices.Backward(s.store.FSM().Jobs()) {
		if below != 0 && j.Seq >= below {
			continue
		}
		st := JobStatusOf(j)
		if len(r.GetStates()) > 0 && !slices.Contains(r.GetStates(), st.State) ||
			r.GetDataset() != "" && st.Dataset != r.GetDataset() {
			continue
		}
		if len(out.Jobs) == size {
			out.NextPageToken = strconv.FormatUint(j.Seq+1, 10)
			break
		}
		out.Jobs = append(out.Jobs, st)
	}
	return out, nil
}

// CancelJob implements JobService; cancelling a finished job returns its
// status unchanged.
func (s *JobServer) CancelJob(ctx context.Context, r *quarryv1.CancelJobRequest) (*quarryv1.JobStatus, error) {
	if err := validField("job_id", r.GetJobId()); err != nil {
		return nil, err
	}
	if err := s.leading(); err != nil {
		return nil, err
	}
	j, ok := s.store.FSM().Job(r.GetJobId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "job %q not found", r.GetJobId())
	}
	if !j.State.Terminal() {
		reason := r.GetReason()
		if reason == "" {
			reason = "cancelled by request"
		}
		err := s.store.Apply(CancelJob{JobID: j.ID, Reason: reason, Time: time.Now()})
		if err != nil && !errors.Is(err, ErrJobFinished) {
			return nil, statusOf(err)
		}
	}
	return s.status(ctx, j.ID)
}

// WatchJob implements JobService: the current status at once, then one
// per change, ending after the terminal one. It follows the FSM's change
// notifications, checking at least every WatchInterval.
func (s *JobServer) WatchJob(r *quarryv1.WatchJobRequest, stream quarryv1.JobService_WatchJobServer) error {
	if err := validField("job_id", r.GetJobId()); err != nil {
		return err
	}
	ctx := stream.Context()
	interval := s.WatchInterval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var last *quarryv1.JobStatus
	for {
		if err := s.leading(); err != nil {
			return err
		}
		changed := s.store.FSM().Changed()
		st, err := s.status(ctx, r.GetJobId())
		if err != nil {
			return err
		}
		if last == nil || !proto.Equal(st, last) {
			if err := stream.Send(st); err != nil {
				return err
			}
			last = st
		}
		if terminal(st.State) {
			return nil
		}
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-changed:
		case <-t.C:
		}
	}
}

// ListDatasets implements JobService from the store's manifests.
func (s *JobServer) ListDatasets(ctx context.Context, _ *quarryv1.ListDatasetsRequest) (*quarryv1.ListDatasetsResponse, error) {
	if err := s.leading(); err != nil {
		return nil, err
	}
	names, err := dataset.List(ctx, s.bucket)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "list datasets: %v", err)
	}
	out := &quarryv1.ListDatasetsResponse{}
	for _, name := range names {
		m, err := dataset.LoadManifest(ctx, s.bucket, name, 0)
		if errors.Is(err, dataset.ErrNotFound) {
			continue // removed since listed
		}
		if err != nil {
			return nil, status.Errorf(codes.Internal, "dataset %s: %v", name, err)
		}
		out.Datasets = append(out.Datasets, DatasetInfoOf(m))
	}
	return out, nil
}

// ListWorkers implements JobService: the workers the FSM knows, with the
// attempts running on each.
func (s *JobServer) ListWorkers(context.Context, *quarryv1.ListWorkersRequest) (*quarryv1.ListWorkersResponse, error) {
	if err := s.leading(); err != nil {
		return nil, err
	}
	running := map[string]uint32{}
	for _, j := range s.store.FSM().Jobs() {
		for _, st := range j.Stages {
			for _, t := range st.Tasks {
				for _, a := range t.Attempts {
					if a.State == scheduler.AttemptRunning {
						running[a.Worker]++
					}
				}
			}
		}
	}
	out := &quarryv1.ListWorkersResponse{}
	for _, w := range s.store.FSM().Workers() {
		out.Workers = append(out.Workers, &quarryv1.WorkerStatus{
			Id: w.ID, Addr: w.Addr, Slots: uint32(max(w.Slots, 0)), Running: running[w.ID], Version: w.Version,
			// The membership watch registers a draining worker with no slot.
			Draining: w.Draining || w.Slots == 0, StartedAt: timestamp(w.Started),
			RegisteredAt: timestamp(w.Registered),
		})
	}
	slices.SortFunc(out.Workers, func(a, b *quarryv1.WorkerStatus) int { return strings.Compare(a.Id, b.Id) })
	return out, nil
}
