package coordinator

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/quarrydata/quarry/worker/registry"
)

// PublishModels mirrors the FSM's model versions into the registry under
// prefix while store leads (registry.PublishModelVersion, which never
// lowers a version), so CRM API servers watching a dataset's model key
// swap to each new version. It wakes on every FSM change, retries every
// interval (1 s when not positive) after an etcd error, and returns when
// ctx ends.
func PublishModels(ctx context.Context, store *Store, cli *clientv3.Client, prefix string, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	done := map[string]int{} // versions known to be published
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		changed := store.FSM().Changed()
		if store.IsLeader() {
			for _, m := range store.FSM().Models() {
				if done[m.Name] >= m.Version {
					continue
				}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := registry.PublishModelVersion(cctx, cli, prefix, m.Name, m.Version)
				cancel()
				if err != nil {
					if ctx.Err() == nil {
						store.log.Warn("publish model version", "model", m.Name, "version", m.Version, "err", err)
					}
					continue
				}
				done[m.Name] = m.Version
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-store.leadershipChanged():
		case <-t.C:
		}
	}
}
