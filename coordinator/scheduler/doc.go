// Package scheduler decides what the coordinator should do next.
//
// It is pure logic in the manner of Nomad's scheduler: Plan reads a read-only
// State (jobs, their stages, tasks and attempts, and the live workers) at a
// given instant and returns a Plan, a list of actions (start a job, assign an
// attempt, give up an attempt whose worker was lost or whose lease expired,
// cancel the attempts of a finished job, fail a job that ran out of retries).
// It performs no I/O, keeps no globals, starts no goroutines and imports
// nothing of raft: the coordinator turns the actions into raft commands, and
// the replicated state machine, not the scheduler, has the last word on
// whether an action still applies.
//
// For the same State, instant and Config, Plan returns the same Plan: attempt
// ids are taken in order after State.LastAttemptID, and the jitter added to
// retry back-offs is a hash of the task and the failed attempt, not a random
// draw.
package scheduler
