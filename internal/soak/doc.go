// Package soak is the fault-injection suite (issue 7): it runs Quarry as
// real processes on loopback (3 coordinators, 3 workers, etcd, MinIO, via
// internal/clustertest), submits a stream of jobs of every type over the
// small testdata samples while a seeded random schedule SIGKILLs workers,
// the raft leader and followers (restarted on the same --data-dir),
// SIGSTOPs workers past their lease, and restarts MinIO and etcd. Then,
// with everything restored, it checks that every job ended, that every
// succeeded job published exactly what jobs.RunLocal publishes for the
// same spec, that no job was lost or duplicated, and that nothing
// published (dataset versions, job results, model versions and the model
// pointer) references an attempt partial, a missing object or a job that
// did not succeed. It prints a table of faults, failovers and jobs.
//
// SOAK_SECONDS sets the fault phase (50 s in go test; make soak runs
// 600 s) and SOAK_SEED replays a schedule and job stream.
// TestSoakCatchesBrokenRetry runs it with the coordinators' test fault
// switch (coordinator.EnvTestFault) breaking retries and checks that it
// fails. docs/testing.md says how to run and replay it.
package soak
