// Package wait sleeps for a back-off unless a context ends first: the
// pause every retry loop of the coordinator and the workers takes.
package wait

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends, and reports whether d elapsed.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
