// Package worker is the Quarry worker: it registers in etcd with a lease
// (package registry), finds the coordinator leader (a configured address or
// the one the leader publishes), follows the leader's WorkerService
// PullTasks stream, runs each assigned attempt with jobs.RunTask against
// the object store, at most Slots at once, and reports each outcome with
// its attempt id (the fencing token). A CANCEL stops an attempt without a
// report. A broken stream is reopened with back-off.
//
// While attempts run, the worker heartbeats them to the leader, which
// renews their leases (so a task may outlast its lease many times over) and
// names the ones to abort. A success report carries the attempt's
// jobs.TaskResult as JSON in the report's result field: the coordinator's
// job driver needs its summary to plan the next stage.
//
// Drain, or a drain requested in etcd (registry.RequestDrain), publishes the
// worker as draining, finishes and reports the running attempts, waits for
// the leader's confirmation that nothing more will be assigned, and leaves
// the registry; Done then closes. Stop leaves at once.
package worker
