package main

import (
	"github.com/spf13/pflag"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// schedulerFlags are the scheduling policy's knobs on `quarry coordinator`
// and `quarry dev`; the coordinator validates them at start.
type schedulerFlags struct {
	cfg scheduler.Config
}

// register adds the flags, their defaults those of scheduler.DefaultConfig.
func (f *schedulerFlags) register(fs *pflag.FlagSet) {
	f.cfg = scheduler.DefaultConfig()
	fs.IntVar(&f.cfg.MaxRunningJobs, "max-running-jobs", f.cfg.MaxRunningJobs, "jobs running at once; the others wait in the queue (FIFO within priority)")
	fs.IntVar(&f.cfg.MaxAttempts, "max-attempts", f.cfg.MaxAttempts, "failed attempts of one task that fail its job")
	fs.IntVar(&f.cfg.MaxLost, "max-lost", f.cfg.MaxLost, "lost attempts of one task (worker gone, lease expired) that fail its job")
	fs.DurationVar(&f.cfg.AttemptTimeout, "attempt-timeout", f.cfg.AttemptTimeout, "an attempt's lease, renewed by its worker's heartbeats: an attempt unheard of this long is lost and retried")
	fs.Float64Var(&f.cfg.SpeculationMultiplier, "speculation", f.cfg.SpeculationMultiplier, "copy a task running longer than this many times its stage's median when a slot is idle (0: never)")
}

// apply sets the policy on c.
func (f *schedulerFlags) apply(c *scheduler.Config) { *c = f.cfg }
