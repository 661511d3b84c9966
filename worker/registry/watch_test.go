package registry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
)

// TestWatchNoGapUnderChurn starts watchers while workers keep registering,
// updating and leaving, then checks that every watcher's view equals etcd's
// keys once the churn stops and that no watcher saw an impossible sequence
// (a Joined for a present worker, a Left for an absent one, a repeated
// revision), which is what a gap or an overlap between the snapshot and the
// watch would produce.
func TestWatchNoGapUnderChurn(t *testing.T) {
	srv := etcdtest.StartServer(t)
	cli := srv.Client(t)
	ctx := ctxFor(t)
	const (
		churners = 6
		rounds   = 40
		ids      = 4 // per churner, reused so ids re-join
		watchers = 4
	)
	var wg sync.WaitGroup
	errs := make(chan error, churners)
	for g := range churners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			regs := map[string]*Registration{}
			for r := range rounds {
				id := fmt.Sprintf("g%d-w%d", g, rng.IntN(ids))
				reg, ok := regs[id]
				switch {
				case !ok:
					reg, err := Register(ctx, cli, "/churn", worker(id), 10*time.Second)
					if err != nil {
						errs <- err
						return
					}
					regs[id] = reg
				case rng.IntN(3) == 0:
					info := reg.Info()
					info.FreeSlots = r % 3
					if err := reg.Update(ctx, info); err != nil {
						errs <- err
						return
					}
				default:
					if err := reg.Close(ctx); err != nil {
						errs <- err
						return
					}
					delete(regs, id)
				}
			}
		}()
	}
	var recs []*recorder
	for range watchers {
		ch, err := Watch(ctx, cli, "/churn")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, record(ch))
		time.Sleep(5 * time.Millisecond) // spread the snapshots over the churn
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := etcdWorkers(t, cli, "/churn")
	for i, rec := range recs {
		waitFor(t, fmt.Sprintf("watcher %d to see %v", i, want), func() bool { return slices.Equal(rec.ids(), want) })
		rec.check(t)
	}
}

// TestWatchRelistsAfterCompaction takes a snapshot, changes the workers,
// compacts past the snapshot and only then starts the watch from it: the
// watch must list again and report exactly the difference, then keep
// following live changes.
func TestWatchRelistsAfterCompaction(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	w1, err := Register(ctx, cli, "/c", worker("w1"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := Register(ctx, cli, "/c", worker("w2"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	f := follower{cli: cli, key: newKeys("/c").workers(), prefix: true}
	kvs, rev, err := f.list(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Event, 16)
	v := &workerView{ctx: ctx, out: out, base: f.key, known: map[string]WorkerInfo{}}
	if !v.reset(kvs, rev) {
		t.Fatal("reset refused")
	}
	got := drain(out, 2)
	if want := []string{"joined(w1)", "joined(w2)"}; !slices.Equal(got, want) {
		t.Fatalf("got snapshot %v; want %v", got, want)
	}

	// Changes the watch will never see as events: w1 leaves, w2 updates,
	// w3 joins, and the history is compacted.
	if err := w1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	info := w2.Info()
	info.Draining = true
	if err := w2.Update(ctx, info); err != nil {
		t.Fatal(err)
	}
	if _, err := Register(ctx, cli, "/c", worker("w3"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Get(ctx, "anything")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, resp.Header.Revision); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.run(runCtx, v, rev)
	}()
	defer func() {
		cancel()
		<-done
	}()
	got = drain(out, 3)
	if want := []string{"left(w1, expired)", "updated(w2)", "joined(w3)"}; !slices.Equal(got, want) {
		t.Fatalf("got events after compaction %v; want %v", got, want)
	}
	if _, err := Register(ctx, cli, "/c", worker("w4"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, want := drain(out, 1), []string{"joined(w4)"}; !slices.Equal(got, want) {
		t.Fatalf("got live events %v; want %v", got, want)
	}
}

// drain reads n events (or fails by timeout) and describes them without
// revisions.
func drain(ch <-chan Event, n int) []string {
	var got []string
	timeout := time.After(waitTimeout)
	for len(got) < n {
		select {
		case e := <-ch:
			s := fmt.Sprintf("%s(%s)", e.Type, e.ID)
			if e.Type == Left {
				s = fmt.Sprintf("%s(%s, %s)", e.Type, e.ID, e.Reason)
			}
			got = append(got, s)
		case <-timeout:
			return append(got, "timeout")
		}
	}
	return got
}

// TestWatchClosesWithContext checks that the channel closes when ctx ends.
func TestWatchClosesWithContext(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx, cancel := context.WithCancel(ctxFor(t))
	ch, err := Watch(ctx, cli, "/q")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("got an event; want the channel closed")
		}
	case <-time.After(waitTimeout):
		t.Fatal("channel still open after cancel")
	}
}
