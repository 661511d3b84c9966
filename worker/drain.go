package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/quarrydata/quarry/worker/registry"
)

// etcdTimeout bounds each etcd call of a shutdown (publishing the drain,
// closing the registration), whatever the caller's context.
const etcdTimeout = 10 * time.Second

// Done returns a channel closed once the worker has drained or stopped:
// its registration is closed and it runs nothing. A drain requested in
// etcd (registry.RequestDrain) closes it too, so a worker process waits on
// it to exit.
func (w *Worker) Done() <-chan struct{} { return w.done }

// Drain drains the worker and waits until it is done: it publishes itself
// as draining, so the leader assigns it nothing more; it keeps running and
// heartbeating what it has, and whatever the leader assigned before it
// knew, until the leader confirms (DRAINED) and every attempt is reported;
// then it closes its registration and connections. If ctx ends first, the
// running attempts are cancelled without a report (the leader reassigns
// them once the registration is gone). Calling Drain or Stop again, or
// concurrently, waits for the same end and returns the same error.
func (w *Worker) Drain(ctx context.Context) error {
	w.begin(true)
	return w.wait(ctx)
}

// Stop stops the worker at once, as a crash would but leaving etcd
// cleanly: running tasks are cancelled without reporting and the
// registration is revoked, so the leader reassigns them. It also hurries a
// drain in progress.
func (w *Worker) Stop(ctx context.Context) error {
	w.stopTasks()
	w.begin(false)
	return w.wait(ctx)
}

// begin starts the shutdown once, in a goroutine that closes w.done when
// it is over.
func (w *Worker) begin(graceful bool) {
	w.shutOnce.Do(func() {
		go func() {
			w.shutErr = w.shutdown(graceful)
			close(w.done)
		}()
	})
}

// wait waits for the shutdown; when ctx ends first it cancels the running
// tasks, which shortens a drain to the etcd calls.
func (w *Worker) wait(ctx context.Context) error {
	select {
	case <-w.done:
	case <-ctx.Done():
		w.stopTasks()
		<-w.done
	}
	return w.shutErr
}

// shutdown drains (graceful) or stops the worker; see Drain and Stop.
func (w *Worker) shutdown(graceful bool) error {
	if graceful {
		w.mu.Lock()
		w.draining = true
		w.mu.Unlock()
		reg := w.registration()
		info := reg.Info()
		info.Draining = true
		ctx, cancel := context.WithTimeout(context.Background(), etcdTimeout)
		if err := reg.Update(ctx, info); err != nil {
			w.log.Warn("publish draining", "err", err)
		}
		cancel()
		w.awaitDrained()
	}
	w.mu.Lock()
	w.leaving = true
	w.mu.Unlock()
	w.stopPull()
	w.loop.Wait()
	w.tasks.Wait()
	w.stopBG()
	w.bg.Wait()
	return w.close()
}

// awaitDrained waits until nothing runs here and either the leader
// confirmed it assigns nothing more, or the tasks were cancelled (Stop, or
// the context of Drain ended), or DrainAckTimeout passed with nothing
// running and no confirmation.
func (w *Worker) awaitDrained() {
	var idle *time.Timer
	cancelled := w.taskCtx.Done() // nil once seen, so a closed channel does not spin the loop
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		w.mu.Lock()
		n, acked, changed := len(w.running), w.acked, w.changedLocked()
		w.mu.Unlock()
		var timeout <-chan time.Time
		switch {
		case n > 0:
			if idle != nil {
				idle.Stop()
				idle = nil
			}
		case acked || w.taskCtx.Err() != nil:
			return
		case idle == nil:
			idle = time.NewTimer(w.cfg.DrainAckTimeout)
			timeout = idle.C
		default:
			timeout = idle.C
		}
		select {
		case <-changed:
		case <-cancelled:
			// Cancelled attempts end without a report: wait for them.
			cancelled = nil
		case <-timeout:
			w.log.Warn("leader did not confirm the drain; leaving", "after", w.cfg.DrainAckTimeout)
			return
		}
	}
}

// drainAcknowledged records the leader's DRAINED: it assigns nothing more.
// Before the worker drains it means nothing.
func (w *Worker) drainAcknowledged() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.draining && !w.acked {
		w.acked = true
		w.signalLocked()
	}
}

// watchDrain starts a drain when one is requested in etcd, until ctx ends.
func (w *Worker) watchDrain(ctx context.Context) {
	select {
	case <-registry.WatchDrain(ctx, w.cfg.Etcd, w.cfg.Prefix, w.cfg.ID):
		w.log.Info("drain requested")
		w.begin(true)
	case <-ctx.Done():
	}
}

// close cancels what still runs, revokes the registration and closes the
// connections.
func (w *Worker) close() error {
	w.stopTasks()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	conns := w.conns
	w.conns = nil
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), etcdTimeout)
	defer cancel()
	err := w.registration().Close(ctx)
	for _, c := range conns {
		c.Close()
	}
	if err != nil {
		return fmt.Errorf("worker %s: %w", w.cfg.ID, err)
	}
	return nil
}
