package registry

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrInvalid reports an argument that cannot be registered or
	// published: an empty or malformed id, a non-positive TTL.
	ErrInvalid = errors.New("invalid registry argument")
	// ErrLost reports that a registration's lease is gone (expired or
	// revoked) or that its key now belongs to another lease.
	ErrLost = errors.New("registration lost")
	// ErrStaleTerm reports a leader publication whose raft term is older
	// than one already published, or equal to one published by another node.
	ErrStaleTerm = errors.New("stale leader term")
	// ErrNotRegistered reports a drain request for a worker that has no
	// registration.
	ErrNotRegistered = errors.New("worker not registered")
)

// minTTL is the shortest lease etcd grants; shorter TTLs are rounded up.
const minTTL = time.Second

// WorkerInfo is what a worker publishes about itself.
type WorkerInfo struct {
	// ID names the worker, unique in the cluster; no "/".
	ID string `json:"id"`
	// Addr is the worker's advertised address (host:port), if it serves any.
	Addr string `json:"addr,omitempty"`
	// Slots is how many attempts the worker runs at once.
	Slots int `json:"slots"`
	// FreeSlots is how many of the slots are free now.
	FreeSlots int `json:"free_slots"`
	// Draining is true when the worker finishes its attempts and takes no
	// new ones.
	Draining bool `json:"draining,omitempty"`
	// Version is the worker's build version.
	Version string `json:"version,omitempty"`
	// StartedAt is when the worker process started.
	StartedAt time.Time `json:"started_at"`
	// RegisteredAt is when the current lease was granted: Register sets
	// it, Update keeps it. A worker that lost its lease and registered
	// again has a later RegisteredAt and the same StartedAt.
	RegisteredAt time.Time `json:"registered_at,omitzero"`
}

// Validate reports whether the info can be registered.
func (w WorkerInfo) Validate() error {
	if err := validID(w.ID); err != nil {
		return fmt.Errorf("worker %w", err)
	}
	if w.Slots < 0 || w.FreeSlots < 0 {
		return fmt.Errorf("worker %q: negative slots: %w", w.ID, ErrInvalid)
	}
	return nil
}

// LeaderInfo is what the raft leader publishes about itself.
type LeaderInfo struct {
	// ID is the coordinator's raft server id.
	ID string `json:"id"`
	// GRPCAddr is where the leader serves WorkerService and JobService.
	GRPCAddr string `json:"grpc_addr"`
	// HTTPAddr is where the leader serves the HTTP/JSON job API.
	HTTPAddr string `json:"http_addr,omitempty"`
	// Term is the raft term in which the node is leader.
	Term uint64 `json:"term"`
}

// IsZero reports whether the info is the zero value, which WatchLeader sends
// when no leader is published.
func (l LeaderInfo) IsZero() bool { return l == LeaderInfo{} }

// stored is the JSON value of a worker key: the info, plus the mark that a
// graceful Close sets just before it revokes the lease.
type stored struct {
	WorkerInfo
	Leaving bool `json:"leaving,omitempty"`
}

func validID(id string) error {
	if id == "" {
		return fmt.Errorf("id is empty: %w", ErrInvalid)
	}
	if strings.ContainsAny(id, "/\x00") {
		return fmt.Errorf("id %q contains '/' or NUL: %w", id, ErrInvalid)
	}
	return nil
}

// ttlSeconds converts a TTL to etcd's whole seconds, rounding up.
func ttlSeconds(ttl time.Duration) (int64, error) {
	if ttl <= 0 {
		return 0, fmt.Errorf("ttl %v is not positive: %w", ttl, ErrInvalid)
	}
	ttl = max(ttl, minTTL)
	return int64((ttl + time.Second - 1) / time.Second), nil
}

// keys names the etcd keys under one prefix.
type keys struct{ prefix string }

func newKeys(prefix string) keys { return keys{prefix: strings.TrimRight(prefix, "/")} }

// workers is the prefix of the worker keys, ending in "/".
func (k keys) workers() string { return k.prefix + "/workers/" }

func (k keys) worker(id string) string { return k.workers() + id }

func (k keys) drain(id string) string { return k.prefix + "/drain/" + id }

func (k keys) leader() string { return k.prefix + "/leader" }

func (k keys) leaderTerm() string { return k.prefix + "/leader-term" }
