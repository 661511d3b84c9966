package registry

import (
	"context"
	"errors"
	"time"

	"github.com/quarrydata/quarry/internal/wait"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Back-off between attempts to list or watch again after an error.
const (
	minRetry = 50 * time.Millisecond
	maxRetry = time.Second
)

// view is the consumer of a followed key range. Each method returns false
// when the consumer is done (its context ended), which stops the follower.
type view interface {
	// reset replaces the whole view with a listing taken at revision rev.
	reset(kvs []*mvccpb.KeyValue, rev int64) bool
	// put records a created or changed key.
	put(kv *mvccpb.KeyValue) bool
	// del records a deleted key at revision rev.
	del(key string, rev int64) bool
}

// follower keeps a view in step with one key, or every key under a prefix.
type follower struct {
	cli    *clientv3.Client
	key    string
	prefix bool
}

func (f follower) opts(extra ...clientv3.OpOption) []clientv3.OpOption {
	if f.prefix {
		extra = append(extra, clientv3.WithPrefix())
	}
	return extra
}

// list reads the key range and its revision.
func (f follower) list(ctx context.Context) ([]*mvccpb.KeyValue, int64, error) {
	resp, err := f.cli.Get(ctx, f.key, f.opts()...)
	if err != nil {
		return nil, 0, err
	}
	return resp.Kvs, resp.Header.Revision, nil
}

// run feeds v every change after revision rev until ctx ends. It watches
// from rev+1, so that together with a listing at rev nothing is missed or
// repeated. A cut watch resumes after the last revision delivered; one whose
// revision was compacted away lists the range again and resets v.
func (f follower) run(ctx context.Context, v view, rev int64) {
	retry := minRetry
	for ctx.Err() == nil {
		if rev == 0 {
			kvs, r, err := f.list(ctx)
			if err != nil {
				if !sleep(ctx, &retry) {
					return
				}
				continue
			}
			if !v.reset(kvs, r) {
				return
			}
			rev = r
		}
		next, ok := f.watch(ctx, v, rev, &retry)
		if !ok {
			return
		}
		rev = next
		if !sleep(ctx, &retry) {
			return
		}
	}
}

// watch runs one etcd watch from rev+1 and returns the revision to resume
// after (0 to list again) and false once v or ctx is done.
func (f follower) watch(ctx context.Context, v view, rev int64, retry *time.Duration) (int64, bool) {
	// WithRequireLeader cuts the watch when the etcd member loses its
	// leader, instead of leaving it silently stalled on a partitioned member.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wch := f.cli.Watch(wctx, f.key, f.opts(clientv3.WithRev(rev+1), clientv3.WithProgressNotify())...)
	defer func() {
		cancel()
		for range wch { // the channel closes soon after cancel
		}
	}()
	for wresp := range wch {
		if wresp.CompactRevision != 0 || errors.Is(wresp.Err(), rpctypes.ErrCompacted) {
			return 0, true
		}
		if wresp.Err() != nil {
			return rev, true
		}
		*retry = minRetry
		for _, ev := range wresp.Events {
			ok := true
			switch ev.Type {
			case mvccpb.PUT:
				ok = v.put(ev.Kv)
			case mvccpb.DELETE:
				ok = v.del(string(ev.Kv.Key), ev.Kv.ModRevision)
			}
			if !ok {
				return rev, false
			}
			rev = ev.Kv.ModRevision
		}
		if len(wresp.Events) == 0 && wresp.IsProgressNotify() {
			// Every event up to the header's revision has been sent.
			rev = max(rev, wresp.Header.Revision)
		}
	}
	return rev, ctx.Err() == nil
}

// sleep waits for the current back-off, doubling it for next time, and
// returns false if ctx ended first.
func sleep(ctx context.Context, retry *time.Duration) bool {
	d := *retry
	*retry = min(2**retry, maxRetry)
	return wait.Sleep(ctx, d)
}
