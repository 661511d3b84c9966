package coordinator

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// isStale reports whether err is the FSM refusing a report that lost the
// race: the attempt is unknown or no longer running, its task is done or
// its job finished.
func isStale(err error) bool {
	return errors.Is(err, ErrStaleAttempt) || errors.Is(err, ErrUnknownAttempt) ||
		errors.Is(err, ErrJobFinished) || errors.Is(err, ErrTaskDone)
}

// statusOf maps the coordinator's named errors onto gRPC status codes.
func statusOf(err error) error {
	if err == nil {
		return nil
	}
	code := codes.Internal
	switch {
	case errors.Is(err, ErrNotLeader), errors.Is(err, ErrClosed), errors.Is(err, ErrNoLeader):
		code = codes.Unavailable
	case errors.Is(err, ErrUnknownJob), errors.Is(err, ErrUnknownAttempt),
		errors.Is(err, ErrUnknownWorker), errors.Is(err, ErrUnknownTask):
		code = codes.NotFound
	case errors.Is(err, ErrJobExists), errors.Is(err, ErrStageExists):
		code = codes.AlreadyExists
	case isStale(err), errors.Is(err, ErrJobNotRunning), errors.Is(err, ErrTaskNotReady),
		errors.Is(err, ErrStaleVersion), errors.Is(err, ErrStaleAttemptID):
		code = codes.FailedPrecondition
	case errors.Is(err, ErrInvalidCommand), errors.Is(err, ErrUnknownJobState):
		code = codes.InvalidArgument
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, err.Error())
}
