package coordinator

import (
	"context"
	"strconv"
	"time"

	"github.com/quarrydata/quarry/worker/registry"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// WatchMembership follows the workers registered in etcd under prefix and,
// while store leads, makes the FSM's workers match them: SetWorker for a
// worker that joined or changed its slots, RemoveWorker for one that left
// (its running attempts then become lost, not counted against retries). It
// reconciles on every event and every interval (100 ms when not positive),
// so a replica that becomes leader catches up at once. It returns when ctx
// ends, or the watch's first listing fails.
func WatchMembership(ctx context.Context, store *Store, cli *clientv3.Client, prefix string, interval time.Duration) error {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	events, err := registry.Watch(ctx, cli, prefix)
	if err != nil {
		return err
	}
	live := map[string]registry.WorkerInfo{}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-events:
			if !ok {
				return nil
			}
			if e.Type == registry.Left {
				delete(live, e.ID)
			} else {
				live[e.ID] = e.Info
			}
		case <-t.C:
		}
		if store.IsLeader() {
			reconcileWorkers(store, live)
		}
	}
}

// reconcileWorkers commits the SetWorker and RemoveWorker commands that make
// the FSM's workers those of live, as one entry.
func reconcileWorkers(store *Store, live map[string]registry.WorkerInfo) {
	now := time.Now()
	known := map[string]Worker{}
	for _, w := range store.FSM().Workers() {
		known[w.ID] = w
	}
	var cmds []Command
	for id, info := range live {
		slots := info.Slots
		if info.Draining {
			slots = 0
		}
		if w, ok := known[id]; !ok || w.Slots != slots || w.Addr != info.Addr || w.Draining != info.Draining ||
			w.Version != info.Version || !w.Started.Equal(info.StartedAt) || !w.Registered.Equal(info.RegisteredAt) {
			cmds = append(cmds, SetWorker{ID: id, Addr: info.Addr, Slots: slots, Time: now,
				Version: info.Version, Started: info.StartedAt, Registered: info.RegisteredAt, Draining: info.Draining})
		}
	}
	for id := range known {
		if _, ok := live[id]; !ok {
			cmds = append(cmds, RemoveWorker{ID: id, Time: now})
		}
	}
	if len(cmds) == 0 {
		return
	}
	errs, err := store.ApplyBatch(cmds)
	if err != nil {
		store.log.Warn("apply worker membership", "err", err)
		return
	}
	for i, e := range errs {
		if e != nil {
			store.log.Warn("worker membership command refused", "command", cmds[i], "err", e)
		}
	}
}

// PublishLeadership keeps store's gRPC address published in the registry
// under prefix while it leads, so workers (registry.WatchLeader) find the
// leader: on gaining leadership it publishes with the raft term as the
// fencing term, on losing it (or when ctx ends) it withdraws. It checks
// every interval (100 ms when not positive) and returns when ctx ends.
func PublishLeadership(ctx context.Context, store *Store, cli *clientv3.Client, prefix, grpcAddr string, ttl, interval time.Duration) {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	var pub *registry.Publication
	withdraw := func() {
		if pub != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := pub.Close(cctx); err != nil {
				store.log.Warn("withdraw leader publication", "err", err)
			}
			cancel()
			pub = nil
		}
	}
	defer withdraw()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if pub != nil {
			select {
			case <-pub.Done(): // lease lost: publish again
				pub = nil
			default:
			}
		}
		switch leading := store.IsLeader(); {
		case leading && pub == nil:
			info := registry.LeaderInfo{ID: store.ID(), GRPCAddr: grpcAddr, Term: store.term()}
			p, err := registry.PublishLeader(ctx, cli, prefix, info, ttl)
			if err != nil {
				store.log.Warn("publish leader", "err", err)
			} else {
				pub = p
			}
		case !leading:
			withdraw()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// term returns the replica's current raft term (0 if unknown).
func (s *Store) term() uint64 {
	v, _ := strconv.ParseUint(s.raft.Stats()["term"], 10, 64)
	return v
}
