package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/jobs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// cancel stops attempt id if it runs here.
func (w *Worker) cancel(id uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.running[id]; ok {
		c()
	}
}

// start runs an assigned attempt unless it already runs here (a stream
// re-sends the running attempts after a reconnection).
func (w *Worker) start(a *quarryv1.TaskAssignment) {
	w.mu.Lock()
	if _, ok := w.running[a.GetAttemptId()]; ok || w.closed {
		w.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(w.taskCtx)
	w.running[a.GetAttemptId()] = cancel
	w.tasks.Add(1)
	w.mu.Unlock()
	go func() {
		defer w.tasks.Done()
		defer func() {
			w.mu.Lock()
			delete(w.running, a.GetAttemptId())
			w.mu.Unlock()
			cancel()
		}()
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		report := w.run(ctx, a)
		<-w.sem
		if ctx.Err() != nil {
			return // cancelled: the leader no longer wants a report
		}
		w.report(report)
	}()
}

// run runs one attempt and returns its report.
func (w *Worker) run(ctx context.Context, a *quarryv1.TaskAssignment) *quarryv1.AttemptReport {
	r := &quarryv1.AttemptReport{JobId: a.GetJobId(), Stage: a.GetStage(), Task: a.GetTask(), AttemptId: a.GetAttemptId(), WorkerId: w.cfg.ID}
	var spec jobs.TaskSpec
	if err := json.Unmarshal(a.GetSpec(), &spec); err != nil {
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, fmt.Sprintf("decode task spec: %v", err)
		return r
	}
	res, err := jobs.RunTask(ctx, w.cfg.Bucket, spec)
	if err != nil {
		w.log.Warn("task failed", "attempt", a.GetAttemptId(), "err", err)
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, err.Error()
		return r
	}
	body, err := json.Marshal(res)
	if err != nil {
		r.Outcome, r.Error = quarryv1.Outcome_OUTCOME_FAILED, fmt.Sprintf("encode task result: %v", err)
		return r
	}
	r.Outcome, r.ResultKey = quarryv1.Outcome_OUTCOME_SUCCEEDED, string(body)
	r.RowsRead, r.BytesRead = uint64(max(res.Rows, 0)), uint64(max(res.BytesRead, 0))
	r.Duration = durationpb.New(res.Duration)
	return r
}

// report sends r to the current leader, retrying with back-off while no
// leader answers, until the worker's tasks are cancelled.
func (w *Worker) report(r *quarryv1.AttemptReport) {
	backoff := w.cfg.Backoff
	for {
		w.mu.Lock()
		client := w.client
		w.mu.Unlock()
		if client != nil {
			ctx, cancel := context.WithTimeout(w.taskCtx, 10*time.Second)
			ack, err := client.ReportAttempt(ctx, r)
			cancel()
			if err == nil {
				if !ack.GetAccepted() {
					w.log.Debug("report refused", "attempt", r.GetAttemptId(), "reason", ack.GetReason())
				}
				return
			}
			if !retryable(err) {
				w.log.Warn("report rejected", "attempt", r.GetAttemptId(), "err", err)
				return
			}
			w.log.Debug("report failed; retrying", "attempt", r.GetAttemptId(), "err", err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-w.taskCtx.Done():
			t.Stop()
			return
		case <-t.C:
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
