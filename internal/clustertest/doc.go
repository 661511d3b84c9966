// Package clustertest runs Quarry as real processes on loopback and checks
// that jobs survive what happens to real clusters: three `quarry
// coordinator` processes forming one raft group, `quarry worker` processes,
// the embedded etcd of internal/etcdtest and the real MinIO server of
// internal/miniotest. Its tests SIGKILL a worker in the middle of a stage
// and the raft leader in the middle of a job, add a worker and drain one
// while a job runs, and check each job's results against jobs.RunLocal byte
// for byte.
//
// The harness is exported for other suites (internal/soak): BuildQuarry
// builds the binary once per test binary; Infra is the shared etcd and
// MinIO; Cluster starts, kills, pauses and restarts coordinators (on the
// same --data-dir) and workers (each behind a StoreProxy that can hold its
// reads), finds the leader, submits and waits for jobs through any
// replica; CheckJob compares what a job published with jobs.RunLocal's
// run of the same spec.
package clustertest
