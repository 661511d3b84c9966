// Package registry keeps Quarry's cluster membership in etcd: workers
// register under a lease-backed key, the coordinator watches the worker set,
// and the raft leader publishes itself so that workers and clients find it.
//
// # Keys
//
// Everything lives under a caller-chosen prefix (e.g. "/quarry"):
//
//	<prefix>/workers/<id>   JSON WorkerInfo, attached to the worker's lease
//	<prefix>/drain/<id>     a drain request, attached to the worker's lease
//	<prefix>/leader         JSON LeaderInfo, attached to the leader's lease
//	<prefix>/leader-term    highest raft term ever published (no lease)
//
// # Leases are for liveness, not ownership
//
// A worker's key says "probably alive": it vanishes when the worker leaves
// (Close revokes the lease) or stops refreshing it (the lease expires). The
// coordinator's Watch turns this into Joined, Updated and Left events, and
// reassigns the tasks of a worker that left. Which attempt owns a task is
// decided by the raft FSM with attempt ids as fencing tokens, never here: a
// paused worker can outlive its lease and still report, and the FSM ignores
// its stale report.
//
// A Registration's Done channel closes when its lease is lost; the worker
// must then stop taking tasks and Register again. A graceful Close first marks
// the key as leaving, then revokes the lease, so watchers report
// Left(revoked) at once and tell it from Left(expired).
//
// # Watching without gaps
//
// Watch lists the prefix once (a snapshot at revision R), then watches from
// R+1, so no change is missed or seen twice. When the watch is cut it resumes
// from the last revision it delivered; when that revision was compacted away
// it lists again and emits the difference from what it had reported.
//
// # Draining
//
// RequestDrain writes a worker's drain key on the worker's own lease, so the
// request disappears with the registration and never drains a later worker
// of the same id. The worker follows the key with WatchDrain, publishes
// itself Draining (the coordinator then assigns it nothing), finishes its
// attempts and closes its registration; WaitGone waits for the key of the
// registration to vanish.
//
// # Leader discovery
//
// PublishLeader writes <prefix>/leader with the publisher's own lease only if
// its raft term is at least the highest term ever published, in one
// compare-and-swap transaction: a deposed leader can never overwrite a newer
// one, even after the newer one's key expired. WatchLeader follows the key.
package registry
