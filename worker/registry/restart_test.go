package registry

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/quarrydata/quarry/internal/etcdtest"
)

// keeper is what a worker does with its registration: register, and
// register again whenever Done says the lease was lost.
type keeper struct {
	registrations atomic.Int32
	lost          atomic.Int32
	done          chan struct{}
}

func keep(ctx context.Context, cli *clientv3.Client, prefix string, info WorkerInfo, ttl time.Duration) *keeper {
	k := &keeper{done: make(chan struct{})}
	go func() {
		defer close(k.done)
		for ctx.Err() == nil {
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			reg, err := Register(rctx, cli, prefix, info, ttl)
			cancel()
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			k.registrations.Add(1)
			select {
			case <-reg.Done():
				k.lost.Add(1)
			case <-ctx.Done():
				cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = reg.Close(cctx)
				cancel()
			}
		}
	}()
	return k
}

// TestEtcdRestart stops the etcd server for longer than the workers' TTL and
// starts it again on the same data: the registrations are lost and come
// back, and both watchers resume without a protocol violation.
func TestEtcdRestart(t *testing.T) {
	srv := etcdtest.StartServer(t)
	cli := srv.Client(t)
	ctx := ctxFor(t)
	kctx, stopKeepers := context.WithCancel(ctx)
	var keepers []*keeper
	for _, id := range []string{"w1", "w2"} {
		keepers = append(keepers, keep(kctx, cli, "/r", worker(id), time.Second))
	}
	defer func() {
		stopKeepers()
		for _, k := range keepers {
			<-k.done
		}
	}()

	ch, err := Watch(ctx, cli, "/r")
	if err != nil {
		t.Fatal(err)
	}
	rec := record(ch)
	var (
		mu      sync.Mutex
		leaders []LeaderInfo
	)
	go func() {
		for l := range WatchLeader(ctx, cli, "/r") {
			mu.Lock()
			leaders = append(leaders, l)
			mu.Unlock()
		}
	}()
	lastLeader := func() LeaderInfo {
		mu.Lock()
		defer mu.Unlock()
		if len(leaders) == 0 {
			return LeaderInfo{}
		}
		return leaders[len(leaders)-1]
	}
	waitFor(t, "both workers", func() bool { return slices.Equal(rec.ids(), []string{"w1", "w2"}) })
	pub, err := PublishLeader(ctx, cli, "/r", LeaderInfo{ID: "c1", Term: 4}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	waitFor(t, "leader c1", func() bool { return lastLeader().ID == "c1" })

	srv.Stop()
	// Longer than the TTL: the clients give the leases up.
	waitFor(t, "the registrations and the publication to be lost", func() bool {
		select {
		case <-pub.Done():
		default:
			return false
		}
		return keepers[0].lost.Load() > 0 && keepers[1].lost.Load() > 0
	})
	srv.Restart()

	waitFor(t, "the workers to re-register", func() bool {
		return keepers[0].registrations.Load() >= 2 && keepers[1].registrations.Load() >= 2
	})
	// The watch resumed: a worker that joins after the restart is seen.
	reg, err := Register(ctx, cli, "/r", worker("w3"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reg.Close(context.Background()) }()
	want := []string{"w1", "w2", "w3"}
	waitFor(t, "the view after the restart", func() bool { return slices.Equal(rec.ids(), want) })
	if got := etcdWorkers(t, cli, "/r"); !slices.Equal(got, want) {
		t.Errorf("got etcd workers %v; want %v", got, want)
	}
	rec.check(t)

	// The leader's publication was lost too; republishing the same term is
	// allowed and the leader watch resumed.
	pub2, err := PublishLeader(ctx, cli, "/r", LeaderInfo{ID: "c1", GRPCAddr: "127.0.0.1:7701", Term: 4}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub2.Close(context.Background()) }()
	waitFor(t, "republished leader", func() bool { return lastLeader().GRPCAddr == "127.0.0.1:7701" })
}
