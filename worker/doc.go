// Package worker is the Quarry worker: it registers in etcd with a lease
// (package registry), finds the coordinator leader (a configured address or
// the one the leader publishes), follows the leader's WorkerService
// PullTasks stream, runs each assigned attempt with jobs.RunTask against
// the object store, at most Slots at once, and reports each outcome with
// its attempt id (the fencing token). A CANCEL stops an attempt without a
// report. A broken stream is reopened with back-off. Drain finishes the
// running attempts and leaves the registry; Stop leaves at once.
//
// A success report carries the attempt's jobs.TaskResult as JSON in
// result_key: the coordinator's job driver needs its summary to plan the
// next stage.
package worker
