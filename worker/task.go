package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/wait"
	"github.com/quarrydata/quarry/jobs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// attempt is an attempt running (or waiting for a slot) on this worker.
type attempt struct {
	cancel context.CancelFunc
	lease  time.Duration // how long it lives without a heartbeat
	read   atomic.Int64  // bytes read from the store so far
}

// cancel stops attempt id if it runs here.
func (w *Worker) cancel(id uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if a, ok := w.running[id]; ok {
		a.cancel()
	}
}

// changedLocked returns a channel closed at the next change of the
// running attempts or of the drain (signalLocked); w.mu must be held.
func (w *Worker) changedLocked() <-chan struct{} {
	if w.changed == nil {
		w.changed = make(chan struct{})
	}
	return w.changed
}

// signalLocked wakes the waiters of changedLocked (the heartbeat loop, a
// drain); w.mu must be held.
func (w *Worker) signalLocked() {
	if w.changed != nil {
		close(w.changed)
		w.changed = nil
	}
}

// start runs an assigned attempt unless it already runs here (a stream
// re-sends the running attempts after a reconnection) or the worker is
// leaving.
func (w *Worker) start(a *quarryv1.TaskAssignment) {
	id := a.GetAttemptId()
	w.mu.Lock()
	if _, ok := w.running[id]; ok || w.closed || w.leaving {
		w.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(w.taskCtx)
	at := &attempt{cancel: cancel, lease: leaseOf(a)}
	w.running[id] = at
	w.signalLocked()
	w.tasks.Add(1)
	w.mu.Unlock()
	go func() {
		defer w.tasks.Done()
		defer func() {
			w.mu.Lock()
			delete(w.running, id)
			w.signalLocked()
			w.mu.Unlock()
			cancel()
		}()
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		report := w.run(ctx, a, at)
		<-w.sem
		if ctx.Err() != nil {
			return // cancelled: the leader no longer wants a report
		}
		w.report(report)
	}()
}

// leaseOf returns the lease of an assignment: its lease field, or for a
// leader that sends none the time left until its deadline.
func leaseOf(a *quarryv1.TaskAssignment) time.Duration {
	if d := a.GetLease().AsDuration(); d > 0 {
		return d
	}
	if a.GetDeadline() != nil {
		if d := time.Until(a.GetDeadline().AsTime()); d > 0 {
			return d
		}
	}
	return 0
}

// run runs one attempt and returns its report. The store it reads counts
// the bytes read into at, for the heartbeats.
func (w *Worker) run(ctx context.Context, a *quarryv1.TaskAssignment, at *attempt) *quarryv1.AttemptReport {
	r := &quarryv1.AttemptReport{JobId: a.GetJobId(), Stage: a.GetStage(), Task: a.GetTask(), AttemptId: a.GetAttemptId(), WorkerId: w.cfg.ID}
	var spec jobs.TaskSpec
	if err := json.Unmarshal(a.GetSpec(), &spec); err != nil {
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, fmt.Sprintf("decode task spec: %v", err)
		return r
	}
	log := w.log.With("job", a.GetJobId(), "stage", a.GetStageName(), "task", a.GetTask(), "attempt", a.GetAttemptId())
	log.Info("attempt started", "speculative", a.GetSpeculative())
	stage := a.GetStageName()
	if stage == "" {
		stage = spec.Stage
	}
	done := w.cfg.Metrics.taskStarted(spec.Spec.Type, stage)
	res, err := jobs.RunTask(ctx, countingBucket{Bucket: w.cfg.Bucket, n: &at.read, m: w.cfg.Metrics}, spec)
	if err != nil && ctx.Err() != nil {
		log.Info("attempt cancelled")
		done("cancelled", nil)
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, err.Error()
		return r
	}
	if err != nil {
		log.Warn("attempt failed", "err", err)
		done("failed", nil)
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, err.Error()
		return r
	}
	body, err := json.Marshal(res)
	if err != nil {
		done("failed", nil)
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, fmt.Sprintf("encode task result: %v", err)
		return r
	}
	done("succeeded", &res)
	r.Outcome, r.Result, r.ResultKey = quarryv1.Outcome_OUTCOME_SUCCEEDED, body, res.Key
	r.RowsRead, r.BytesRead = uint64(max(res.Rows, 0)), uint64(max(res.BytesRead, 0))
	r.Duration = durationpb.New(res.Duration)
	log.Info("attempt finished", "rows", res.Rows, "bytes", res.BytesRead, "took", res.Duration)
	return r
}

// report sends r to the current leader, retrying with back-off while no
// leader answers, until the worker's tasks are cancelled.
func (w *Worker) report(r *quarryv1.AttemptReport) {
	backoff := w.cfg.Backoff
	for {
		if client, err := w.connect(); err == nil {
			ctx, cancel := context.WithTimeout(w.taskCtx, 10*time.Second)
			ack, err := client.ReportAttempt(ctx, r)
			cancel()
			if err == nil {
				if !ack.GetAccepted() {
					w.log.Debug("report refused", "attempt", r.GetAttemptId(), "reason", ack.GetReason())
					w.cfg.Metrics.reported("refused")
				} else {
					w.cfg.Metrics.reported("accepted")
				}
				return
			}
			if !retryable(err) {
				w.log.Warn("report rejected", "attempt", r.GetAttemptId(), "err", err)
				w.cfg.Metrics.reported("rejected")
				return
			}
			w.log.Debug("report failed; retrying", "attempt", r.GetAttemptId(), "err", err)
		}
		if !wait.Sleep(w.taskCtx, backoff) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// retryable reports whether a failed report may succeed later, on this
// leader or the next.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted, codes.Canceled:
		return true
	}
	return false
}
