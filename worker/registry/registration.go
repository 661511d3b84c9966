package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Registration is a worker's lease-backed key in etcd. Its lease is kept
// alive in the background until Close, or until it is lost (Done).
type Registration struct {
	cli     *clientv3.Client
	key     string
	session *concurrency.Session

	mu     sync.Mutex
	info   WorkerInfo
	closed bool
}

// Register grants a lease of the given TTL (at least one second), writes the
// worker's info under <prefix>/workers/<id> attached to it, and keeps the
// lease alive until Close or until it is lost. ctx bounds the registration
// itself, not the life of the lease. A key left by an earlier registration
// of the same id is taken over: a worker re-registering after losing its
// lease keeps its place in the watchers' view (they see Updated).
func Register(ctx context.Context, cli *clientv3.Client, prefix string, info WorkerInfo, ttl time.Duration) (*Registration, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	secs, err := ttlSeconds(ttl)
	if err != nil {
		return nil, err
	}
	info.RegisteredAt = time.Now()
	val, err := json.Marshal(stored{WorkerInfo: info})
	if err != nil {
		return nil, fmt.Errorf("encode worker %q: %w", info.ID, err)
	}
	lease, err := cli.Grant(ctx, secs)
	if err != nil {
		return nil, fmt.Errorf("register worker %q: grant lease: %w", info.ID, err)
	}
	key := newKeys(prefix).worker(info.ID)
	if _, err := cli.Put(ctx, key, string(val), clientv3.WithLease(lease.ID)); err != nil {
		revokeQuietly(cli, lease.ID)
		return nil, fmt.Errorf("register worker %q: %w", info.ID, err)
	}
	// The session's context is not ctx: the keep-alive must outlive the
	// call. It ends with Close (Orphan) or when the lease is lost.
	session, err := concurrency.NewSession(cli, concurrency.WithLease(lease.ID),
		concurrency.WithTTL(int(secs)), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		revokeQuietly(cli, lease.ID)
		return nil, fmt.Errorf("register worker %q: keep lease alive: %w", info.ID, err)
	}
	return &Registration{cli: cli, key: key, session: session, info: info}, nil
}

// Info returns the info last written.
func (r *Registration) Info() WorkerInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info
}

// Lease returns the registration's etcd lease.
func (r *Registration) Lease() clientv3.LeaseID { return r.session.Lease() }

// Done returns a channel closed when the lease is no longer kept alive: it
// expired or was revoked, etcd was unreachable for longer than the TTL, the
// client was closed, or Close was called. Unless Close was called, the
// worker must stop taking tasks and Register again.
func (r *Registration) Done() <-chan struct{} { return r.session.Done() }

// Update replaces the registered info (free slots, draining, …) under the
// same lease. info.ID must not change. It fails with ErrLost when the lease
// is gone or the key was taken by another registration.
func (r *Registration) Update(ctx context.Context, info WorkerInfo) error {
	if err := info.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if info.ID != r.info.ID {
		return fmt.Errorf("update worker %q: id changed to %q: %w", r.info.ID, info.ID, ErrInvalid)
	}
	if r.closed {
		return fmt.Errorf("update worker %q: closed: %w", info.ID, ErrLost)
	}
	info.RegisteredAt = r.info.RegisteredAt
	if err := r.putLocked(ctx, stored{WorkerInfo: info}); err != nil {
		return fmt.Errorf("update worker %q: %w", info.ID, err)
	}
	r.info = info
	return nil
}

// Close leaves gracefully: it marks the key as leaving, so that watchers
// report Left(revoked) at once, stops the keep-alive and revokes the lease,
// which deletes the key. If etcd cannot be reached the lease still expires
// after its TTL. Calling Close again does nothing.
func (r *Registration) Close(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	// Best effort: when the lease is already gone there is nothing to mark.
	markErr := r.putLocked(ctx, stored{WorkerInfo: r.info, Leaving: true})
	r.session.Orphan()
	_, err := r.cli.Revoke(ctx, r.session.Lease())
	if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		if markErr != nil && !errors.Is(markErr, ErrLost) {
			err = errors.Join(err, markErr)
		}
		return fmt.Errorf("close worker %q: revoke lease: %w", r.info.ID, err)
	}
	return nil
}

// putLocked writes val under the key if the key is still attached to this
// registration's lease.
func (r *Registration) putLocked(ctx context.Context, val stored) error {
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	lease := r.session.Lease()
	resp, err := r.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(r.key), "=", lease)).
		Then(clientv3.OpPut(r.key, string(b), clientv3.WithLease(lease))).
		Commit()
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("lease %x: %w", int64(lease), ErrLost)
	}
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("key %s no longer held by lease %x: %w", r.key, int64(lease), ErrLost)
	}
	return nil
}

// revokeQuietly revokes a lease that was granted for a registration that
// failed half-way; if this fails too, the lease expires on its own.
func revokeQuietly(cli *clientv3.Client, lease clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = cli.Revoke(ctx, lease)
}
