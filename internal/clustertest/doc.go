// Package clustertest runs Quarry as real processes on loopback and checks
// that jobs survive what happens to real clusters: three `quarry
// coordinator` processes forming one raft group, `quarry worker` processes,
// the embedded etcd of internal/etcdtest and the real MinIO server of
// internal/miniotest. Its tests SIGKILL a worker in the middle of a stage
// and the raft leader in the middle of a job, add a worker and drain one
// while a job runs, and check each job's results against jobs.RunLocal byte
// for byte.
//
// The package's only non-test code is Process, a child process whose
// output goes to a log file; the tests build the quarry binary once in
// TestMain.
package clustertest
