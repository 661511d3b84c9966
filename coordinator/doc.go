// Package coordinator is Quarry's replicated control plane: a hashicorp/raft
// group whose state machine holds the datasets' current versions, the jobs
// with their stages, tasks and attempts, the workers and the published model
// versions, and whose leader schedules the work.
//
// The pieces, in the manner of rqlite's store and Nomad's server:
//
//   - FSM (fsm.go, apply_*.go) applies committed log entries. Each entry is
//     one byte of MessageType then a JSON command (Encode, Decode); Apply
//     dispatches to one applyX per type and never reads a clock. A Batch
//     entry carries a whole scheduling plan. Completions are first committer
//     wins: an attempt's id is its fencing token, and only the first
//     completion of a running attempt of an unfinished task is accepted.
//   - Snapshots (snapshot.go) are versioned JSON of the State.
//   - Store (store.go) wraps raft with raft-boltdb/v2 log and stable stores,
//     file snapshots and the TCP transport; Apply answers ErrNotLeader on
//     followers. LocalCluster starts replicas in one process.
//   - The leader loop (leader.go) waits on a raft barrier after winning an
//     election, then runs scheduler.Plan over the state and commits each
//     plan as one log entry, until leadership is lost.
//   - Package scheduler is the pure policy: priorities, the running-jobs cap,
//     slots, leases, retries with back-off, speculative copies.
//
// The design is described in DESIGN.md. Transports (gRPC, HTTP), the etcd
// watch on workers and forwarding to the leader are built on top of Store.
package coordinator
