package scheduler

import (
	"encoding/binary"
	"hash/fnv"
	"time"
)

// backoff returns how long a task waits after its failures-th failure, the
// last one being attempt: cfg.BackoffBase doubled per earlier failure, capped
// at cfg.BackoffMax, plus up to cfg.Jitter of that from a hash of the task
// and the attempt. The hash spreads the retries of many tasks failing
// together without a random source, so a plan stays reproducible.
func (p *planner) backoff(job string, stage, task int, attempt uint64, failures int) time.Duration {
	return Backoff(p.cfg, job, stage, task, attempt, failures)
}

// Backoff is the retry delay Plan applies after the failures-th counted
// failure of task (job, stage, task) whose last failed attempt is attempt.
func Backoff(cfg Config, job string, stage, task int, attempt uint64, failures int) time.Duration {
	d := cfg.BackoffBase
	for i := 1; i < failures && d < cfg.BackoffMax; i++ {
		d *= 2
	}
	if d > cfg.BackoffMax {
		d = cfg.BackoffMax
	}
	return d + time.Duration(float64(d)*cfg.Jitter*unitHash(job, stage, task, attempt))
}

// unitHash maps its arguments to [0, 1) with FNV-1a.
func unitHash(job string, stage, task int, attempt uint64) float64 {
	h := fnv.New64a()
	h.Write([]byte(job))
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(stage))
	binary.LittleEndian.PutUint64(b[8:], uint64(task))
	binary.LittleEndian.PutUint64(b[16:], attempt)
	h.Write(b[:])
	return float64(h.Sum64()>>11) / (1 << 53)
}
