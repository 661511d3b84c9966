// Package jobs is Quarry's job logic without transport: job specs, how
// each job type splits into stages of tasks over a dataset's hash
// buckets, what a task computes and writes, how partial results merge
// exactly, and an in-process runner that is the reference loop for the
// coordinator.
//
// A Spec (JSON; see docs/jobs.md) names a job type (itemsets with
// optional rules, sequences, segments, model), a dataset and the type's
// parameters. The coordinator pins the dataset version, assigns a job id
// and plans with Plan and Next: Next is a pure function of the job, the
// dataset manifest and the completed stages (each task's accepted result)
// that returns the next Stage or nil when the job is done, so iterative
// jobs (k-means rounds until convergence) grow their stage list as they
// run. Every stage is either one task per hash bucket (reading every
// segment's partition of the bucket) or a single merge task.
//
// A worker runs one attempt of a task with RunTask: it reads its
// partitions and the objects its task names, runs the kernel, writes its
// partial under a key unique to the attempt (AttemptKey) and returns the
// key, a small summary (at most MaxSummary bytes, read by Next: counts,
// statistics, k-means partial sums) and statistics. Outputs are a pure
// function of the task: every attempt writes the same bytes, so whichever
// attempt the coordinator accepts (the first to complete) gives the same
// job result. Final tasks publish results create-only under
// jobs/<id>/result/ and a result manifest last; GC deletes the objects of
// attempts that were not accepted.
//
// Exactness: itemsets and sequences use the two-phase SON scheme (local
// mining at support.Local's scaled threshold, exact global counts of the
// union); segments compute per-customer features bucket by bucket with the
// global row id of each customer (its rank by id), merge scaling
// statistics exactly, and run k-means|| and Lloyd rounds through the
// exactly mergeable pieces of algorithms/kmeans. Results equal quarry
// mine's on the raw file, byte for byte after canonical ordering, for any
// number of partitions, workers and retries; DESIGN.md explains why.
//
// RunLocal runs a whole job in process, with simulated failed and
// duplicated attempts for tests.
package jobs
