package registry

import (
	"context"
	"fmt"
	"strconv"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// model is where the current model version of dataset name is
// published: <prefix>/models/<name>, its value the version in decimal.
func (k keys) model(name string) string { return k.prefix + "/models/" + name }

// PublishModelVersion makes version the current model version of dataset
// name, unless the key already names a version at least as new: versions
// only grow, so a stale leader's late write cannot roll serving back. It
// reports whether it wrote.
func PublishModelVersion(ctx context.Context, cli *clientv3.Client, prefix, name string, version int) (bool, error) {
	if err := validID(name); err != nil {
		return false, err
	}
	if version < 1 {
		return false, fmt.Errorf("publish model %s: version %d below 1", name, version)
	}
	key := newKeys(prefix).model(name)
	val := strconv.Itoa(version)
	for {
		resp, err := cli.Get(ctx, key)
		if err != nil {
			return false, fmt.Errorf("publish model %s v%d: %w", name, version, err)
		}
		cmp := clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		if kv := firstKV(resp.Kvs); kv != nil {
			if cur, _ := strconv.Atoi(string(kv.Value)); cur >= version {
				return false, nil
			}
			cmp = clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)
		}
		txn, err := cli.Txn(ctx).If(cmp).Then(clientv3.OpPut(key, val)).Commit()
		if err != nil {
			return false, fmt.Errorf("publish model %s v%d: %w", name, version, err)
		}
		if txn.Succeeded {
			return true, nil
		}
		// Someone wrote in between: read again and compare.
	}
}

// WatchModelVersion follows the current model version of dataset name. It
// sends the current version at once (0 when none is published), then every
// change; a slow reader gets the latest value. The channel closes when ctx
// ends; etcd outages and compactions are retried on their own.
func WatchModelVersion(ctx context.Context, cli *clientv3.Client, prefix, name string) <-chan int {
	out := make(chan int, 1)
	f := follower{cli: cli, key: newKeys(prefix).model(name)}
	v := &modelView{ctx: ctx, out: out}
	go func() {
		defer close(out)
		f.run(ctx, v, 0)
	}()
	return out
}

// modelView turns changes of a model key into versions, dropping repeats.
type modelView struct {
	ctx     context.Context
	out     chan int
	last    int
	started bool
}

func (v *modelView) set(version int) bool {
	if v.ctx.Err() != nil {
		return false
	}
	if v.started && version == v.last {
		return true
	}
	v.started, v.last = true, version
	select { // latest wins; this goroutine is the only sender
	case <-v.out:
	default:
	}
	v.out <- version
	return true
}

func decodeVersion(kv *mvccpb.KeyValue) int {
	v, err := strconv.Atoi(string(kv.Value))
	if err != nil || v < 0 {
		return 0
	}
	return v
}

func (v *modelView) reset(kvs []*mvccpb.KeyValue, _ int64) bool {
	if kv := firstKV(kvs); kv != nil {
		return v.set(decodeVersion(kv))
	}
	return v.set(0)
}

func (v *modelView) put(kv *mvccpb.KeyValue) bool { return v.set(decodeVersion(kv)) }

func (v *modelView) del(string, int64) bool { return v.set(0) }
