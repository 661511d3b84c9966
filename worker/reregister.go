package worker

import (
	"context"

	"github.com/quarrydata/quarry/internal/wait"
	"github.com/quarrydata/quarry/worker/registry"
)

// registration returns the worker's current registration.
func (w *Worker) registration() *registry.Registration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reg
}

// keepRegistered registers the worker again whenever its lease is lost
// (etcd unreachable for longer than LeaseTTL, or restarted without its
// data): the leader has by then removed the worker and its attempts are
// being rerun elsewhere, but the worker itself is healthy and should get
// new work. It retries with the connection back-off until ctx ends or the
// worker is leaving; a draining worker comes back draining.
func (w *Worker) keepRegistered(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.registration().Done():
		}
		w.mu.Lock()
		leaving, draining := w.leaving || w.closed, w.draining
		w.mu.Unlock()
		if leaving {
			return
		}
		w.log.Warn("registration lease lost; registering again")
		w.cfg.Metrics.leaseLost()
		info := w.registration().Info()
		info.Draining = draining
		for backoff := w.cfg.Backoff; ; backoff = min(2*backoff, maxBackoff) {
			rctx, cancel := context.WithTimeout(ctx, etcdTimeout)
			reg, err := registry.Register(rctx, w.cfg.Etcd, w.cfg.Prefix, info, w.cfg.LeaseTTL)
			cancel()
			if err == nil {
				w.mu.Lock()
				old := w.reg
				w.reg = reg
				w.mu.Unlock()
				cctx, cancel := context.WithTimeout(context.Background(), etcdTimeout)
				_ = old.Close(cctx) // its lease is gone already; this only frees its session
				cancel()
				w.log.Info("registered again", "lease", reg.Lease())
				w.cfg.Metrics.registeredAgain()
				break
			}
			w.log.Warn("register again", "err", err, "retry_in", backoff)
			if !wait.Sleep(ctx, backoff) {
				return
			}
		}
	}
}
