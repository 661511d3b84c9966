package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// drainKey returns the drain key of id under prefix and its lease, ok
// false when absent.
func drainKey(t *testing.T, cli *clientv3.Client, prefix, id string) (clientv3.LeaseID, bool) {
	t.Helper()
	resp, err := cli.Get(ctxFor(t), newKeys(prefix).drain(id))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return 0, false
	}
	return clientv3.LeaseID(resp.Kvs[0].Lease), true
}

// isClosed reports whether ch is closed within d.
func isClosed(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

func TestRequestDrainValidation(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	for _, tc := range []struct {
		name string
		id   string
		want error
	}{
		{"empty id", "", ErrInvalid},
		{"slash in id", "a/b", ErrInvalid},
		{"not registered", "w9", ErrNotRegistered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := RequestDrain(ctx, cli, "/d", tc.id); !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
	if _, ok := drainKey(t, cli, "/d", "w9"); ok {
		t.Fatal("got a drain key for an unregistered worker; want none")
	}
}

// TestDrainRequestLifecycle requests a drain of a registered worker: its
// watch fires, the key lives on the worker's lease, and closing the
// registration removes both keys, which WaitGone sees; a worker
// registering again under the id is not drained by the old request.
func TestDrainRequestLifecycle(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	reg, err := Register(ctx, cli, "/d", worker("w1"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	requested := WatchDrain(wctx, cli, "/d", "w1")
	if isClosed(requested, 100*time.Millisecond) {
		t.Fatal("drain watch fired before any request")
	}
	gone := make(chan error, 1)
	go func() { gone <- WaitGone(ctx, cli, "/d", "w1") }()

	if err := RequestDrain(ctx, cli, "/d", "w1"); err != nil {
		t.Fatal(err)
	}
	if !isClosed(requested, waitTimeout) {
		t.Fatal("drain watch did not fire after the request")
	}
	if lease, ok := drainKey(t, cli, "/d", "w1"); !ok || lease != reg.Lease() {
		t.Fatalf("drain key: got lease %x, present %v; want the registration's lease %x", int64(lease), ok, int64(reg.Lease()))
	}
	if err := RequestDrain(ctx, cli, "/d", "w1"); err != nil {
		t.Fatalf("second request: got %v; want nil", err)
	}
	// A watch started after the request fires at once.
	if !isClosed(WatchDrain(wctx, cli, "/d", "w1"), waitTimeout) {
		t.Fatal("a watch started after the request did not fire")
	}
	select {
	case err := <-gone:
		t.Fatalf("WaitGone returned %v while the worker is registered; want it waiting", err)
	default:
	}

	if err := reg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-gone:
		if err != nil {
			t.Fatalf("WaitGone: got %v; want nil", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("WaitGone still waiting after the registration closed")
	}
	if _, ok := drainKey(t, cli, "/d", "w1"); ok {
		t.Fatal("drain key outlived the registration's lease")
	}
	again, err := Register(ctx, cli, "/d", worker("w1"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	if isClosed(WatchDrain(wctx, cli, "/d", "w1"), 200*time.Millisecond) {
		t.Fatal("the old drain request drained the worker registered again")
	}
}

func TestWaitGone(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	if err := WaitGone(ctx, cli, "/g", "never"); err != nil {
		t.Fatalf("unregistered worker: got %v; want nil at once", err)
	}
	reg, err := Register(ctx, cli, "/g", worker("w1"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(ctx)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := WaitGone(short, cli, "/g", "w1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("registered worker: got %v; want %v", err, context.DeadlineExceeded)
	}
	if err := WaitGone(ctx, cli, "/g", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty id: got %v; want %v", err, ErrInvalid)
	}
}
