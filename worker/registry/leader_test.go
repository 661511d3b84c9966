package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
)

// TestPublishLeaderTermFencing runs a sequence of publications and checks
// which are refused and what WatchLeader shows after each step.
func TestPublishLeaderTermFencing(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	leaders := WatchLeader(ctx, cli, "/f")
	var (
		mu     sync.Mutex
		latest LeaderInfo
		seen   = 0
	)
	go func() {
		for l := range leaders {
			mu.Lock()
			latest, seen = l, seen+1
			mu.Unlock()
		}
	}()
	current := func() (LeaderInfo, int) {
		mu.Lock()
		defer mu.Unlock()
		return latest, seen
	}
	waitFor(t, "the initial empty leader", func() bool { _, n := current(); return n > 0 })

	a1 := LeaderInfo{ID: "a", GRPCAddr: "127.0.0.1:7701", HTTPAddr: "127.0.0.1:7700", Term: 1}
	b2 := LeaderInfo{ID: "b", GRPCAddr: "127.0.0.1:8701", Term: 2}
	c2 := LeaderInfo{ID: "c", GRPCAddr: "127.0.0.1:9701", Term: 2}
	c3 := LeaderInfo{ID: "c", GRPCAddr: "127.0.0.1:9701", Term: 3}
	pubs := map[string][]*Publication{}
	steps := []struct {
		name    string
		publish *LeaderInfo // nil: close every publication of closeID
		closeID string
		wantErr error
		want    LeaderInfo
	}{
		{name: "first leader", publish: &a1, want: a1},
		{name: "newer term overwrites", publish: &b2, want: b2},
		{name: "deposed leader refused", publish: &a1, wantErr: ErrStaleTerm, want: b2},
		{name: "same term other node refused", publish: &c2, wantErr: ErrStaleTerm, want: b2},
		{name: "same leader republishes", publish: &b2, want: b2},
		{name: "leader withdraws", closeID: "b", want: LeaderInfo{}},
		{name: "deposed leader still refused", publish: &a1, wantErr: ErrStaleTerm, want: LeaderInfo{}},
		{name: "next term", publish: &c3, want: c3},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.publish != nil {
				p, err := PublishLeader(ctx, cli, "/f", *st.publish, 5*time.Second)
				if !errors.Is(err, st.wantErr) {
					t.Fatalf("got %v; want %v", err, st.wantErr)
				}
				if err == nil {
					pubs[p.Info().ID] = append(pubs[p.Info().ID], p)
				}
			} else {
				for _, p := range pubs[st.closeID] {
					if err := p.Close(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			waitFor(t, fmt.Sprintf("leader %+v", st.want), func() bool { l, _ := current(); return l == st.want })
		})
	}
	// The refused publications revoked their leases: only the first one of
	// a (deposed but never closed) and c's remain.
	leases, err := cli.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, l := range leases.Leases {
		got = append(got, int64(l.ID))
	}
	slices.Sort(got)
	want := []int64{int64(pubs["a"][0].Lease()), int64(pubs["c"][0].Lease())}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got leases %x; want %x", got, want)
	}
}

// TestPublishLeaderConcurrentTerms lets many would-be leaders publish
// random terms at once: the key must end with the highest term.
func TestPublishLeaderConcurrentTerms(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			term := uint64((i*7)%n + 1) // a permutation of 1..n
			_, err := PublishLeader(ctx, cli, "/r", LeaderInfo{ID: fmt.Sprintf("n%d", term), Term: term}, 5*time.Second)
			if err != nil && !errors.Is(err, ErrStaleTerm) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := <-WatchLeader(wctx, cli, "/r")
	if want := (LeaderInfo{ID: fmt.Sprintf("n%d", n), Term: n}); got != want {
		t.Errorf("got leader %+v; want %+v", got, want)
	}
}

func TestPublishLeaderValidation(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	tests := []struct {
		name string
		info LeaderInfo
		ttl  time.Duration
	}{
		{"empty id", LeaderInfo{Term: 1}, time.Second},
		{"zero term", LeaderInfo{ID: "a"}, time.Second},
		{"zero ttl", LeaderInfo{ID: "a", Term: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := PublishLeader(ctx, cli, "/v", tt.info, tt.ttl); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v; want ErrInvalid", err)
			}
		})
	}
}
