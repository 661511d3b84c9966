package worker

import (
	"cmp"
	"context"
	"io"
	"slices"
	"sync/atomic"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/storage/objstore"
)

// Bounds of the heartbeat period derived from the leases.
const (
	minHeartbeat = 50 * time.Millisecond
	// defaultLease stands for the lease of an attempt whose leader sent
	// neither a lease nor a deadline.
	defaultLease = 30 * time.Second
)

// heartbeatLoop renews the leases of the running attempts until ctx ends:
// one Heartbeat every period (heartbeatEvery) while anything runs, the
// first a period after the worker last ran nothing, so a new attempt is
// not renewed at once. A heartbeat that fails is simply sent again a
// period later: the lease covers three periods.
func (w *Worker) heartbeatLoop(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	last := time.Now()
	for {
		every, busy, changed := w.heartbeatEvery()
		var tick <-chan time.Time
		if busy {
			if wait := time.Until(last.Add(every)); wait > 0 {
				t.Reset(wait)
				tick = t.C
			} else {
				w.heartbeat(ctx, every)
				last = time.Now()
				continue
			}
		} else {
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick:
		}
	}
}

// heartbeatEvery returns the heartbeat period: Config.HeartbeatInterval,
// or a third of the shortest lease among the running attempts. busy is
// false when nothing runs. changed is closed when the running set changes.
func (w *Worker) heartbeatEvery() (every time.Duration, busy bool, changed <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	changed = w.changedLocked()
	if len(w.running) == 0 {
		return 0, false, changed
	}
	if w.cfg.HeartbeatInterval > 0 {
		return w.cfg.HeartbeatInterval, true, changed
	}
	lease := time.Duration(0)
	for _, a := range w.running {
		l := a.lease
		if l <= 0 {
			l = defaultLease
		}
		if lease == 0 || l < lease {
			lease = l
		}
	}
	return max(lease/3, minHeartbeat), true, changed
}

// heartbeat sends one Heartbeat listing the running attempts with the
// bytes they read so far, and stops those the leader answers are no longer
// theirs to run.
func (w *Worker) heartbeat(ctx context.Context, timeout time.Duration) {
	req := &quarryv1.HeartbeatRequest{WorkerId: w.cfg.ID}
	w.mu.Lock()
	for id, a := range w.running {
		req.Running = append(req.Running, &quarryv1.AttemptProgress{AttemptId: id, BytesRead: uint64(max(a.read.Load(), 0))})
	}
	w.mu.Unlock()
	if len(req.Running) == 0 {
		return
	}
	slices.SortFunc(req.Running, func(a, b *quarryv1.AttemptProgress) int {
		return cmp.Compare(a.GetAttemptId(), b.GetAttemptId())
	})
	client, err := w.connect()
	if err != nil {
		w.log.Debug("heartbeat skipped", "err", err)
		w.cfg.Metrics.renewal(false, 0)
		return
	}
	hctx, cancel := context.WithTimeout(ctx, max(timeout, time.Second))
	defer cancel()
	resp, err := client.Heartbeat(hctx, req)
	if err != nil {
		w.log.Debug("heartbeat failed", "err", err)
		w.cfg.Metrics.renewal(false, 0)
		return
	}
	w.cfg.Metrics.renewal(true, len(resp.GetAbort()))
	for _, id := range resp.GetAbort() {
		w.log.Info("leader aborted attempt", "attempt", id)
		w.cancel(id)
	}
}

// countingBucket counts the bytes read through Get and GetRange into n
// and into the metrics m (nil: none).
type countingBucket struct {
	objstore.Bucket
	n *atomic.Int64
	m *Metrics
}

func (b countingBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := b.Bucket.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, b.n, b.m}, nil
}

func (b countingBucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	rc, err := b.Bucket.GetRange(ctx, key, off, length)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, b.n, b.m}, nil
}

// countingReader adds what it reads to n and to m.
type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
	m *Metrics
}

func (r countingReader) Read(p []byte) (int, error) {
	k, err := r.ReadCloser.Read(p)
	r.n.Add(int64(k))
	r.m.read(k)
	return k, err
}
