package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Publication is a leader's lease-backed key <prefix>/leader. It stays
// until Close, until its lease is lost (Done), or until a leader of a newer
// term overwrites it.
type Publication struct {
	cli     *clientv3.Client
	info    LeaderInfo
	session *concurrency.Session
	once    sync.Once
}

// PublishLeader writes info under <prefix>/leader, attached to a new lease
// of the given TTL that is kept alive until Close. A coordinator calls it
// when it becomes raft leader, and closes the publication when it steps
// down. The write happens only if info.Term is higher than every term
// published before (kept in <prefix>/leader-term, which has no lease), or
// equal to it from the same node; otherwise it fails with ErrStaleTerm. The
// check and the write are one transaction, so a deposed leader can never
// overwrite a newer one.
func PublishLeader(ctx context.Context, cli *clientv3.Client, prefix string, info LeaderInfo, ttl time.Duration) (*Publication, error) {
	if err := validID(info.ID); err != nil {
		return nil, fmt.Errorf("leader %w", err)
	}
	if info.Term == 0 {
		return nil, fmt.Errorf("leader %q: term 0: %w", info.ID, ErrInvalid)
	}
	secs, err := ttlSeconds(ttl)
	if err != nil {
		return nil, err
	}
	val, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encode leader %q: %w", info.ID, err)
	}
	lease, err := cli.Grant(ctx, secs)
	if err != nil {
		return nil, fmt.Errorf("publish leader %q: grant lease: %w", info.ID, err)
	}
	k := newKeys(prefix)
	if err := casLeader(ctx, cli, k, info, string(val), lease.ID); err != nil {
		revokeQuietly(cli, lease.ID)
		return nil, fmt.Errorf("publish leader %q term %d: %w", info.ID, info.Term, err)
	}
	session, err := concurrency.NewSession(cli, concurrency.WithLease(lease.ID),
		concurrency.WithTTL(int(secs)), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		revokeQuietly(cli, lease.ID)
		return nil, fmt.Errorf("publish leader %q: keep lease alive: %w", info.ID, err)
	}
	return &Publication{cli: cli, info: info, session: session}, nil
}

// casLeader writes the term and the leader key if the stored term allows
// it, retrying when another publisher changed either key in between.
func casLeader(ctx context.Context, cli *clientv3.Client, k keys, info LeaderInfo, val string, lease clientv3.LeaseID) error {
	for {
		resp, err := cli.Txn(ctx).Then(
			clientv3.OpGet(k.leaderTerm()),
			clientv3.OpGet(k.leader()),
		).Commit()
		if err != nil {
			return err
		}
		termKV := firstKV(resp.Responses[0].GetResponseRange().GetKvs())
		leaderKV := firstKV(resp.Responses[1].GetResponseRange().GetKvs())
		var termRev, leaderRev int64
		if termKV != nil {
			termRev = termKV.ModRevision
			stored, err := strconv.ParseUint(string(termKV.Value), 10, 64)
			if err != nil {
				return fmt.Errorf("stored term %q: %w", termKV.Value, err)
			}
			if stored > info.Term {
				return fmt.Errorf("term %d already published: %w", stored, ErrStaleTerm)
			}
			if stored == info.Term && leaderKV != nil {
				var cur LeaderInfo
				if json.Unmarshal(leaderKV.Value, &cur) == nil && cur.ID != info.ID {
					return fmt.Errorf("term %d already published by %q: %w", stored, cur.ID, ErrStaleTerm)
				}
			}
		}
		if leaderKV != nil {
			leaderRev = leaderKV.ModRevision
		}
		put, err := cli.Txn(ctx).
			If(
				clientv3.Compare(clientv3.ModRevision(k.leaderTerm()), "=", termRev),
				clientv3.Compare(clientv3.ModRevision(k.leader()), "=", leaderRev),
			).
			Then(
				clientv3.OpPut(k.leaderTerm(), strconv.FormatUint(info.Term, 10)),
				clientv3.OpPut(k.leader(), val, clientv3.WithLease(lease)),
			).Commit()
		if err != nil {
			return err
		}
		if put.Succeeded {
			return nil
		}
	}
}

func firstKV(kvs []*mvccpb.KeyValue) *mvccpb.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	return kvs[0]
}

// Info returns the published info.
func (p *Publication) Info() LeaderInfo { return p.info }

// Lease returns the publication's etcd lease.
func (p *Publication) Lease() clientv3.LeaseID { return p.session.Lease() }

// Done returns a channel closed when the lease is no longer kept alive
// (expired, revoked, etcd unreachable for longer than the TTL, or Close).
// A leader that is still leader then publishes again.
func (p *Publication) Done() <-chan struct{} { return p.session.Done() }

// Close withdraws the publication: it stops the keep-alive and revokes the
// lease, which deletes <prefix>/leader unless a newer leader has already
// overwritten it. The term stays recorded. Calling Close again does nothing.
func (p *Publication) Close(ctx context.Context) error {
	var err error
	p.once.Do(func() {
		p.session.Orphan()
		_, err = p.cli.Revoke(ctx, p.session.Lease())
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			err = nil
		}
	})
	if err != nil {
		return fmt.Errorf("close leader %q: revoke lease: %w", p.info.ID, err)
	}
	return nil
}

// WatchLeader follows <prefix>/leader. It sends the current leader at once
// (the zero LeaderInfo when none is published), then every change; the zero
// value means the leader withdrew or its lease expired. A slow reader gets
// the latest value, not every intermediate one. The channel closes when ctx
// ends; etcd outages and compactions are retried on their own.
func WatchLeader(ctx context.Context, cli *clientv3.Client, prefix string) <-chan LeaderInfo {
	out := make(chan LeaderInfo, 1)
	f := follower{cli: cli, key: newKeys(prefix).leader()}
	v := &leaderView{ctx: ctx, out: out}
	go func() {
		defer close(out)
		f.run(ctx, v, 0)
	}()
	return out
}

// leaderView turns changes of the leader key into LeaderInfo values,
// dropping repeats.
type leaderView struct {
	ctx     context.Context
	out     chan LeaderInfo
	last    LeaderInfo
	started bool
}

func (v *leaderView) set(info LeaderInfo) bool {
	if v.ctx.Err() != nil {
		return false
	}
	if v.started && info == v.last {
		return true
	}
	v.started, v.last = true, info
	// Latest wins: replace a value the reader has not taken yet. This
	// goroutine is the only sender, so the send after the drain succeeds.
	select {
	case <-v.out:
	default:
	}
	v.out <- info
	return true
}

func decodeLeader(kv *mvccpb.KeyValue) LeaderInfo {
	var info LeaderInfo
	if json.Unmarshal(kv.Value, &info) != nil {
		return LeaderInfo{}
	}
	return info
}

func (v *leaderView) reset(kvs []*mvccpb.KeyValue, _ int64) bool {
	if kv := firstKV(kvs); kv != nil {
		return v.set(decodeLeader(kv))
	}
	return v.set(LeaderInfo{})
}

func (v *leaderView) put(kv *mvccpb.KeyValue) bool { return v.set(decodeLeader(kv)) }

func (v *leaderView) del(string, int64) bool { return v.set(LeaderInfo{}) }
