package core

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"syscall"
	"time"
)

// RetryPolicy bounds the retries of transient failures: at most MaxAttempts
// tries in all, sleeping between them for a random duration in [0, d] where
// d starts at Initial and doubles up to Max ("full jitter").
type RetryPolicy struct {
	// MaxAttempts is the number of tries including the first; 1 disables
	// retries.
	MaxAttempts int
	// Initial is the cap of the first back-off sleep.
	Initial time.Duration
	// Max caps every back-off sleep.
	Max time.Duration
}

// DefaultRetryPolicy returns 5 attempts with back-off from 100 ms to 5 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, Initial: 100 * time.Millisecond, Max: 5 * time.Second}
}

// Validate checks the policy.
func (p RetryPolicy) Validate() error {
	if p.MaxAttempts < 1 || p.Initial < 0 || p.Max < p.Initial {
		return errors.New("retry policy: need MaxAttempts >= 1 and 0 <= Initial <= Max")
	}
	return nil
}

// Backoff returns the sleep before retry number attempt (1 for the first
// retry): uniformly random in [0, min(Max, Initial·2^(attempt-1))].
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	d := p.Initial
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// Do calls fn until it succeeds, returns an error that transient does not
// accept, the attempts run out, or ctx is done. It returns fn's last error,
// or ctx's error if ctx ended the waiting. fn receives the attempt number,
// starting at 1.
func (p RetryPolicy) Do(ctx context.Context, transient func(error) bool, fn func(attempt int) error) error {
	attempts := max(p.MaxAttempts, 1)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(attempt)
		if err == nil || attempt >= attempts || !transient(err) || ctx.Err() != nil {
			return err
		}
		if err := Sleep(ctx, p.Backoff(attempt)); err != nil {
			return err
		}
	}
}

// Sleep waits for d or until ctx is done, returning ctx's error in the
// latter case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsTransientNetError reports whether err is a network-level failure worth
// retrying: a timeout, a refused or reset connection, a broken pipe, or a
// connection that ended early. Context cancellation is never transient.
func IsTransientNetError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	// A transport failure of an HTTP request (including a bare io.EOF when
	// the server closed the connection) is transient.
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
