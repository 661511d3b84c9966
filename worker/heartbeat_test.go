package worker_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker"
	"google.golang.org/protobuf/types/known/durationpb"
)

// trickle serves every read as 100 bytes, then a wait until the read's
// context ends: a task over it reads a little and hangs.
type trickle struct{ objstore.Bucket }

func (trickle) Get(ctx context.Context, _ string) (io.ReadCloser, error) {
	return &trickleReader{ctx: ctx, left: 100}, nil
}

func (b trickle) GetRange(ctx context.Context, key string, _, _ int64) (io.ReadCloser, error) {
	return b.Get(ctx, key)
}

type trickleReader struct {
	ctx  context.Context
	left int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	if r.left > 0 {
		n := min(len(p), r.left)
		for i := range n {
			p[i] = 'x'
		}
		r.left -= n
		return n, nil
	}
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

func (*trickleReader) Close() error { return nil }

// TestHeartbeatsRenewAndAbort runs an attempt with a short lease: the
// worker heartbeats it with the bytes it read, and stops it without a
// report when the leader answers abort; with nothing running it sends no
// heartbeat.
func TestHeartbeatsRenewAndAbort(t *testing.T) {
	f, addr := startFake(t)
	w := startWorker(t, addr, trickle{newBucket(t)})
	<-f.pulls
	run := runMsg(4, validSpec(t))
	run.Lease = durationpb.New(150 * time.Millisecond) // a heartbeat every 50 ms
	f.assign <- run
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case b := <-f.beats:
			rs := b.GetRunning()
			if b.GetWorkerId() != "w1" || len(rs) != 1 || rs[0].GetAttemptId() != 4 {
				t.Fatalf("heartbeat: got %v; want w1 running attempt 4", b)
			}
			seen = rs[0].GetBytesRead() == 100
		case <-deadline:
			t.Fatal("no heartbeat of attempt 4 with its 100 bytes read within 10s")
		}
	}

	f.abort(4)
	eventually(t, "attempt 4 aborted", func() bool { return w.Running() == 0 })
	for len(f.beats) > 0 { // heartbeats sent before the abort
		<-f.beats
	}
	select {
	case b := <-f.beats:
		t.Fatalf("heartbeat with nothing running: got %v; want none", b)
	case r := <-f.reports:
		t.Fatalf("report of an aborted attempt: got %v; want none", r)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestHeartbeatIntervalConfigured checks that Config.HeartbeatInterval
// overrides the lease: a lease of an hour still gets frequent heartbeats.
func TestHeartbeatIntervalConfigured(t *testing.T) {
	f, addr := startFake(t)
	startWorkerWith(t, worker.Config{Slots: 1, Bucket: trickle{newBucket(t)}, LeaderAddr: addr, HeartbeatInterval: 30 * time.Millisecond})
	<-f.pulls
	run := runMsg(5, validSpec(t))
	run.Lease = durationpb.New(time.Hour)
	f.assign <- run
	for range 3 {
		select {
		case <-f.beats:
		case <-time.After(5 * time.Second):
			t.Fatal("fewer than 3 heartbeats within 5s at a 30ms interval")
		}
	}
}
