package scheduler

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the scheduling policy.
type Config struct {
	// MaxRunningJobs caps how many jobs run at once; queued jobs wait.
	MaxRunningJobs int
	// MaxAttempts is how many counted failures of one task fail its job.
	MaxAttempts int
	// MaxLost is how many uncounted losses (worker lost, lease expired) of one
	// task fail its job, so a task that kills every worker cannot loop forever.
	MaxLost int
	// AttemptTimeout is an attempt's lease: it is given at assignment and
	// again at every heartbeat of the attempt's worker, so an attempt is
	// lost after a whole AttemptTimeout without a heartbeat, however long
	// it runs.
	AttemptTimeout time.Duration
	// BackoffBase is the wait before retrying after the first failure; it
	// doubles with every further failure up to BackoffMax.
	BackoffBase time.Duration
	// BackoffMax caps the back-off.
	BackoffMax time.Duration
	// Jitter adds up to this fraction of the back-off, from a hash of the
	// task and the failed attempt.
	Jitter float64
	// SpeculationMultiplier makes a running task a straggler once it has run
	// longer than this many times the median duration of its stage's
	// finished tasks; 0 turns speculation off.
	SpeculationMultiplier float64
	// SpeculationQuantile is the fraction of a stage's tasks that must be
	// finished before its stragglers are copied.
	SpeculationQuantile float64
	// SpeculationMinRuntime is the least time a task runs before it may be
	// copied, whatever the median.
	SpeculationMinRuntime time.Duration
	// WorkerTimeout treats a worker not seen for this long as lost; 0 leaves
	// liveness to whoever removes workers (the etcd watch).
	WorkerTimeout time.Duration
	// MaxActions caps the actions of one plan, so that one plan fits one
	// raft log entry; the rest waits for the next pass.
	MaxActions int
}

// DefaultConfig returns the default policy.
func DefaultConfig() Config {
	return Config{
		MaxRunningJobs:        4,
		MaxAttempts:           4,
		MaxLost:               16,
		AttemptTimeout:        10 * time.Minute,
		BackoffBase:           time.Second,
		BackoffMax:            time.Minute,
		Jitter:                0.5,
		SpeculationMultiplier: 1.5,
		SpeculationQuantile:   0.5,
		SpeculationMinRuntime: 2 * time.Second,
		MaxActions:            4096,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.MaxRunningJobs < 1:
		return fmt.Errorf("max running jobs %d: %w", c.MaxRunningJobs, errNotPositive)
	case c.MaxAttempts < 1:
		return fmt.Errorf("max attempts %d: %w", c.MaxAttempts, errNotPositive)
	case c.MaxLost < 1:
		return fmt.Errorf("max lost %d: %w", c.MaxLost, errNotPositive)
	case c.AttemptTimeout <= 0:
		return fmt.Errorf("attempt timeout %v: %w", c.AttemptTimeout, errNotPositive)
	case c.BackoffBase < 0 || c.BackoffMax < c.BackoffBase:
		return fmt.Errorf("back-off %v..%v: %w", c.BackoffBase, c.BackoffMax, errors.New("want 0 <= base <= max"))
	case c.Jitter < 0 || c.Jitter > 1:
		return fmt.Errorf("jitter %g: %w", c.Jitter, errors.New("want a fraction in [0, 1]"))
	case c.SpeculationMultiplier != 0 && c.SpeculationMultiplier < 1:
		return fmt.Errorf("speculation multiplier %g: %w", c.SpeculationMultiplier, errors.New("want 0 (off) or at least 1"))
	case c.SpeculationQuantile < 0 || c.SpeculationQuantile > 1:
		return fmt.Errorf("speculation quantile %g: %w", c.SpeculationQuantile, errors.New("want a fraction in [0, 1]"))
	case c.WorkerTimeout < 0:
		return fmt.Errorf("worker timeout %v: %w", c.WorkerTimeout, errors.New("want 0 (off) or positive"))
	case c.MaxActions < 1:
		return fmt.Errorf("max actions %d: %w", c.MaxActions, errNotPositive)
	}
	return nil
}

var errNotPositive = errors.New("want a positive value")
