package coordinator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/quarrydata/quarry/internal/httpserve"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
)

// maxBodyBytes bounds a request body of the HTTP API.
const maxBodyBytes = 1 << 20

// JobAPI is what the HTTP API needs from the coordinator. NewJobAPI
// implements it over a Driver and its Store.
type JobAPI interface {
	// Submit submits job id with its spec JSON and priority.
	Submit(ctx context.Context, id string, spec []byte, priority int) error
	// Job returns job id, if known.
	Job(id string) (*Job, bool)
	// Jobs returns every job in submission order.
	Jobs() []*Job
	// Cancel cancels job id.
	Cancel(ctx context.Context, id, reason string) error
	// Datasets returns the datasets' current versions.
	Datasets() []Dataset
	// Workers returns the registered workers.
	Workers() []Worker
	// Leader reports whether this node leads and, if known, the leader's
	// id and raft address.
	Leader() (leading bool, id, addr string)
}

// driverAPI is the JobAPI of a Driver and its Store.
type driverAPI struct {
	d *Driver
	s *Store
}

// NewJobAPI returns the JobAPI over driver d and store s.
func NewJobAPI(d *Driver, s *Store) JobAPI { return driverAPI{d: d, s: s} }

// Submit submits through the driver.
func (a driverAPI) Submit(ctx context.Context, id string, spec []byte, priority int) error {
	return a.d.Submit(ctx, id, spec, priority)
}

// Job, Jobs and Workers read the FSM.
func (a driverAPI) Job(id string) (*Job, bool) { return a.s.FSM().Job(id) }
func (a driverAPI) Jobs() []*Job               { return a.s.FSM().Jobs() }
func (a driverAPI) Workers() []Worker          { return a.s.FSM().Workers() }

// Datasets lists the store's datasets with their latest versions, as
// ListDatasets does: imports by the CLI are there too, not only those by
// import jobs (which the FSM records). A store that cannot be read gives
// the FSM's record.
func (a driverAPI) Datasets() []Dataset {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names, err := dataset.List(ctx, a.d.bucket)
	if err != nil {
		return a.s.FSM().Datasets()
	}
	out := make([]Dataset, 0, len(names))
	for _, name := range names {
		if m, err := dataset.LoadManifest(ctx, a.d.bucket, name, 0); err == nil {
			out = append(out, Dataset{Name: name, Version: m.Version, Time: m.Created})
		}
	}
	return out
}

// Cancel commits CancelJob through raft.
func (a driverAPI) Cancel(_ context.Context, id, reason string) error {
	if err := a.s.Apply(CancelJob{JobID: id, Reason: reason, Time: time.Now()}); err != nil {
		return fmt.Errorf("cancel job %s: %w", id, err)
	}
	return nil
}

// Leader reports the store's raft leadership.
func (a driverAPI) Leader() (bool, string, string) {
	id, addr := a.s.Leader()
	return a.s.IsLeader(), id, addr
}

// SubmitRequest is the body of POST /v1/jobs. ID is generated when empty.
type SubmitRequest struct {
	ID       string          `json:"id,omitempty"`
	Spec     json.RawMessage `json:"spec"`
	Priority int             `json:"priority,omitempty"`
}

// JobView is a job as the HTTP API shows it.
type JobView struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	State      string          `json:"state"`
	Reason     string          `json:"reason,omitempty"`
	Priority   int             `json:"priority"`
	SubmitTime time.Time       `json:"submit_time"`
	StartTime  time.Time       `json:"start_time,omitzero"`
	EndTime    time.Time       `json:"end_time,omitzero"`
	Progress   []StageProgress `json:"progress"`
	ResultKey  string          `json:"result_key,omitempty"`
	Spec       json.RawMessage `json:"spec,omitempty"`
}

// apiError is the body of every error answer.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Leader string `json:"leader,omitempty"`
}

// httpAPI serves the routes of NewHTTPHandler.
type httpAPI struct {
	core JobAPI
	log  *slog.Logger
	opts HTTPOptions
}

// errNotFound marks an unknown job id.
var errNotFound = errors.New("not found")

// errBadRequest marks a malformed request.
var errBadRequest = errors.New("bad request")

// errorStatus maps a core error to its status and stable code.
func errorStatus(err error) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, "body_too_large"
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, errNotFound), errors.Is(err, ErrUnknownJob):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, ErrJobExists):
		return http.StatusConflict, "job_exists"
	case errors.Is(err, ErrJobFinished):
		return http.StatusConflict, "job_finished"
	case errors.Is(err, jobs.ErrInvalidSpec), errors.Is(err, dataset.ErrInvalidName):
		return http.StatusBadRequest, "invalid_spec"
	case errors.Is(err, dataset.ErrNotFound):
		return http.StatusBadRequest, "unknown_dataset"
	case errors.Is(err, jobs.ErrPlan):
		return http.StatusUnprocessableEntity, "cannot_plan"
	case errors.Is(err, ErrNotLeader), errors.Is(err, ErrNoLeader), errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable, "not_leader"
	default:
		return http.StatusInternalServerError, "internal"
	}
}

// leaderOnly answers 503 with the leader's id on a follower.
func (a *httpAPI) leaderOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		leading, id, addr := a.core.Leader()
		if leading {
			h(w, r)
			return
		}
		var body apiError
		body.Error.Code, body.Error.Message = "not_leader", "this coordinator does not lead; ask the leader"
		if id != "" {
			body.Leader = id + "@" + addr
		}
		a.write(w, http.StatusServiceUnavailable, body)
	}
}

func (a *httpAPI) healthz(w http.ResponseWriter, _ *http.Request) {
	leading, id, _ := a.core.Leader()
	a.write(w, http.StatusOK, map[string]any{"status": "ok", "leader": leading, "leader_id": id})
}

func (a *httpAPI) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var req SubmitRequest
	if err := dec.Decode(&req); err != nil {
		a.error(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
		return
	}
	if dec.More() {
		a.error(w, r, fmt.Errorf("%w: trailing data after the request object", errBadRequest))
		return
	}
	if len(req.Spec) == 0 {
		a.error(w, r, fmt.Errorf("%w: field \"spec\" is required", errBadRequest))
		return
	}
	if req.ID == "" {
		req.ID = newJobID()
	}
	if err := a.core.Submit(r.Context(), req.ID, req.Spec, req.Priority); err != nil {
		a.error(w, r, err)
		return
	}
	j, ok := a.core.Job(req.ID)
	if !ok {
		a.error(w, r, fmt.Errorf("job %s vanished after submit: %w", req.ID, errNotFound))
		return
	}
	w.Header().Set("Location", "/v1/jobs/"+req.ID)
	a.write(w, http.StatusCreated, viewOf(j, true))
}

func (a *httpAPI) list(w http.ResponseWriter, _ *http.Request) {
	all := a.core.Jobs()
	out := make([]JobView, 0, len(all))
	for _, j := range slices.Backward(all) {
		out = append(out, viewOf(j, false))
	}
	a.write(w, http.StatusOK, map[string]any{"jobs": out})
}

func (a *httpAPI) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := jobs.ValidateID(id); err != nil {
		a.error(w, r, fmt.Errorf("%w: path id: %w", errBadRequest, err))
		return
	}
	j, ok := a.core.Job(id)
	if !ok {
		a.error(w, r, fmt.Errorf("job %s: %w", id, errNotFound))
		return
	}
	a.write(w, http.StatusOK, viewOf(j, true))
}

func (a *httpAPI) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := jobs.ValidateID(id); err != nil {
		a.error(w, r, fmt.Errorf("%w: path id: %w", errBadRequest, err))
		return
	}
	if _, ok := a.core.Job(id); !ok {
		a.error(w, r, fmt.Errorf("job %s: %w", id, errNotFound))
		return
	}
	if err := a.core.Cancel(r.Context(), id, "cancelled by request"); err != nil {
		a.error(w, r, err)
		return
	}
	j, ok := a.core.Job(id)
	if !ok {
		a.error(w, r, fmt.Errorf("job %s: %w", id, errNotFound))
		return
	}
	a.write(w, http.StatusOK, viewOf(j, false))
}

func (a *httpAPI) datasets(w http.ResponseWriter, _ *http.Request) {
	a.write(w, http.StatusOK, map[string]any{"datasets": nonNil(a.core.Datasets())})
}

func (a *httpAPI) workers(w http.ResponseWriter, _ *http.Request) {
	a.write(w, http.StatusOK, map[string]any{"workers": nonNil(a.core.Workers())})
}

// error writes err as a JSON error with its mapped status.
func (a *httpAPI) error(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	if status >= 500 {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	a.fail(w, status, code, err.Error())
}

func (a *httpAPI) fail(w http.ResponseWriter, status int, code, msg string) {
	var body apiError
	body.Error.Code, body.Error.Message = code, msg
	a.write(w, status, body)
}

func (a *httpAPI) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		a.log.Debug("write response", "err", err)
	}
}

// viewOf returns the API view of j, with its spec when full.
func viewOf(j *Job, full bool) JobView {
	v := JobView{
		ID: j.ID, Type: j.Type, State: j.State.String(), Reason: j.Reason, Priority: j.Priority,
		SubmitTime: j.SubmitTime, StartTime: j.StartTime, EndTime: j.EndTime, Progress: j.Progress(),
	}
	if key, ok := ResultKey(j); ok {
		v.ResultKey = key
	}
	if full {
		v.Spec = j.Spec
	}
	return v
}

// nonNil returns s, or an empty slice for nil so it encodes as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// newJobID returns a fresh job id: "job-", the time and 4 random bytes.
func newJobID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "job-" + strconv.FormatInt(time.Now().UnixMilli(), 36) + "-" + hex.EncodeToString(b[:])
}

// ServeHTTPAPI serves h on lis with read, write and idle timeouts until ctx
// ends, then shuts down gracefully within 5 s.
func ServeHTTPAPI(ctx context.Context, lis net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	return httpserve.Serve(ctx, srv, lis, 5*time.Second, "http api")
}
