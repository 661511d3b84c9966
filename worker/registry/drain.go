package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// drainRequest is the value of a worker's drain key; only its presence
// matters.
type drainRequest struct {
	Time time.Time `json:"time"` // when the drain was requested
}

// RequestDrain asks worker id to drain: it writes <prefix>/drain/<id>
// attached to the worker's own registration lease, so the request vanishes
// with the registration and never drains a later worker of the same id.
// The worker (package worker) watches the key: it stops taking tasks,
// finishes and reports the running ones, and closes its registration;
// WaitGone waits for that. It fails with ErrNotRegistered when the worker
// has no registration. Requesting again is harmless.
func RequestDrain(ctx context.Context, cli *clientv3.Client, prefix, id string) error {
	if err := validID(id); err != nil {
		return fmt.Errorf("drain worker %w", err)
	}
	k := newKeys(prefix)
	val, err := json.Marshal(drainRequest{Time: time.Now()})
	if err != nil {
		return fmt.Errorf("drain worker %q: %w", id, err)
	}
	for {
		resp, err := cli.Get(ctx, k.worker(id))
		if err != nil {
			return fmt.Errorf("drain worker %q: %w", id, err)
		}
		kv := firstKV(resp.Kvs)
		if kv == nil || kv.Lease == 0 {
			return fmt.Errorf("drain worker %q: %w", id, ErrNotRegistered)
		}
		lease := clientv3.LeaseID(kv.Lease)
		// The put holds only while the registration keeps that lease; a
		// worker that re-registered meanwhile is asked again.
		put, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.LeaseValue(k.worker(id)), "=", lease)).
			Then(clientv3.OpPut(k.drain(id), string(val), clientv3.WithLease(lease))).
			Commit()
		if err != nil {
			return fmt.Errorf("drain worker %q: %w", id, err)
		}
		if put.Succeeded {
			return nil
		}
	}
}

// WatchDrain returns a channel closed once a drain of worker id is
// requested (its drain key exists, now or later). It is never closed if ctx
// ends first; the watch then stops.
func WatchDrain(ctx context.Context, cli *clientv3.Client, prefix, id string) <-chan struct{} {
	out := make(chan struct{})
	f := follower{cli: cli, key: newKeys(prefix).drain(id)}
	go f.run(ctx, &drainView{out: out}, 0)
	return out
}

// drainView closes out at the first sight of the drain key, which ends
// the follower.
type drainView struct{ out chan struct{} }

func (v *drainView) reset(kvs []*mvccpb.KeyValue, _ int64) bool {
	if len(kvs) == 0 {
		return true
	}
	close(v.out)
	return false
}

func (v *drainView) put(*mvccpb.KeyValue) bool {
	close(v.out)
	return false
}

func (v *drainView) del(string, int64) bool { return true }

// WaitGone waits until worker id has no registration under prefix (its key
// <prefix>/workers/<id> is gone: it closed its registration or its lease
// expired) and returns nil, or returns ctx's error.
func WaitGone(ctx context.Context, cli *clientv3.Client, prefix, id string) error {
	if err := validID(id); err != nil {
		return fmt.Errorf("wait for worker %w", err)
	}
	v := &goneView{}
	f := follower{cli: cli, key: newKeys(prefix).worker(id)}
	f.run(ctx, v, 0)
	if v.gone {
		return nil
	}
	return fmt.Errorf("wait for worker %q to leave: %w", id, ctx.Err())
}

// goneView records that the followed key is absent, which ends the
// follower.
type goneView struct{ gone bool }

func (v *goneView) reset(kvs []*mvccpb.KeyValue, _ int64) bool {
	v.gone = len(kvs) == 0
	return !v.gone
}

func (v *goneView) put(*mvccpb.KeyValue) bool { return true }

func (v *goneView) del(string, int64) bool {
	v.gone = true
	return false
}
