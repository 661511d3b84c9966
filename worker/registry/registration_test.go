package registry

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
)

func TestRegisterValidation(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	tests := []struct {
		name string
		info WorkerInfo
		ttl  time.Duration
	}{
		{"empty id", WorkerInfo{}, time.Second},
		{"slash in id", WorkerInfo{ID: "a/b"}, time.Second},
		{"negative slots", WorkerInfo{ID: "w", Slots: -1}, time.Second},
		{"zero ttl", WorkerInfo{ID: "w"}, 0},
		{"negative ttl", WorkerInfo{ID: "w"}, -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := Register(ctx, cli, "/v", tt.info, tt.ttl)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, %v; want ErrInvalid", reg, err)
			}
		})
	}
	if got := etcdWorkers(t, cli, "/v"); len(got) != 0 {
		t.Errorf("got workers %v after invalid registrations; want none", got)
	}
}

func TestTTLSeconds(t *testing.T) {
	tests := []struct {
		ttl  time.Duration
		want int64
	}{
		{time.Millisecond, 1},
		{time.Second, 1},
		{1500 * time.Millisecond, 2},
		{10 * time.Second, 10},
	}
	for _, tt := range tests {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			got, err := ttlSeconds(tt.ttl)
			if err != nil || got != tt.want {
				t.Errorf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// TestJoinUpdateRevoke walks one worker through its life while a watcher
// that started before it looks on.
func TestJoinUpdateRevoke(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	ch, err := Watch(ctx, cli, "/q")
	if err != nil {
		t.Fatal(err)
	}
	rec := record(ch)

	info := worker("w1")
	reg, err := Register(ctx, cli, "/q", info, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Joined(w1)", func() bool { return rec.has(Joined, "w1", NotLeft) })
	// Register stamps the lease's grant time on the info.
	if info.RegisteredAt = reg.Info().RegisteredAt; info.RegisteredAt.IsZero() {
		t.Error("registered at: got zero; want the time the lease was granted")
	}
	if got, _ := rec.info("w1"); !sameInfo(got, info) {
		t.Errorf("got joined info %+v; want %+v", got, info)
	}

	info.FreeSlots, info.Draining = 0, true
	if err := reg.Update(ctx, info); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Updated(w1)", func() bool { return rec.has(Updated, "w1", NotLeft) })
	if got, _ := rec.info("w1"); !sameInfo(got, info) {
		t.Errorf("got updated info %+v; want %+v", got, info)
	}
	if got := reg.Info(); !sameInfo(got, info) {
		t.Errorf("got Info() %+v; want %+v", got, info)
	}

	bad := info
	bad.ID = "w2"
	if err := reg.Update(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v updating with another id; want ErrInvalid", err)
	}

	if err := reg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Left(w1, revoked)", func() bool { return rec.has(Left, "w1", Revoked) })
	select {
	case <-reg.Done():
	case <-time.After(waitTimeout):
		t.Fatal("Done not closed after Close")
	}
	if err := reg.Close(ctx); err != nil {
		t.Errorf("got %v closing twice; want nil", err)
	}
	if err := reg.Update(ctx, info); !errors.Is(err, ErrLost) {
		t.Errorf("got %v updating after Close; want ErrLost", err)
	}
	// The leaving mark and the delete that follows it give one Left.
	waitFor(t, "key deleted", func() bool { return len(etcdWorkers(t, cli, "/q")) == 0 })
	if n := rec.count(); n != 3 {
		t.Errorf("got %d events %v; want 3 (joined, updated, left)", n, rec.events)
	}
	rec.check(t)
}

// TestLeaseExpiry stops a registration's keep-alive without revoking its
// lease, as a hung or partitioned worker would: the watcher reports
// Left(expired) within about the TTL, and the registration is lost.
func TestLeaseExpiry(t *testing.T) {
	srv := etcdtest.StartServer(t)
	cli := srv.Client(t)
	ctx := ctxFor(t)
	ch, err := Watch(ctx, cli, "/q")
	if err != nil {
		t.Fatal(err)
	}
	rec := record(ch)

	t.Run("paused keep-alive", func(t *testing.T) {
		reg, err := Register(ctx, cli, "/q", worker("paused"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "Joined(paused)", func() bool { return rec.has(Joined, "paused", NotLeft) })
		start := time.Now()
		reg.session.Orphan() // the keep-alive stops; the lease is not revoked
		waitFor(t, "Left(paused, expired)", func() bool { return rec.has(Left, "paused", Expired) })
		if d := time.Since(start); d < 500*time.Millisecond {
			t.Errorf("got Left after %v; want about the 1s TTL", d)
		}
		if err := reg.Update(ctx, worker("paused")); !errors.Is(err, ErrLost) {
			t.Errorf("got %v updating an expired registration; want ErrLost", err)
		}
	})
	t.Run("closed client", func(t *testing.T) {
		other := srv.Client(t)
		reg, err := Register(ctx, other, "/q", worker("gone"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "Joined(gone)", func() bool { return rec.has(Joined, "gone", NotLeft) })
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-reg.Done():
		case <-time.After(waitTimeout):
			t.Fatal("Done not closed after the client closed")
		}
		waitFor(t, "Left(gone, expired)", func() bool { return rec.has(Left, "gone", Expired) })
	})
	if got := rec.ids(); len(got) != 0 {
		t.Errorf("got view %v; want empty", got)
	}
	rec.check(t)
}

// TestReRegisterTakesOver checks that registering an id whose key is still
// held by an earlier lease takes the key over: watchers see Updated, and the
// earlier lease's expiry no longer deletes it.
func TestReRegisterTakesOver(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx := ctxFor(t)
	first, err := Register(ctx, cli, "/q", worker("w"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := Watch(ctx, cli, "/q")
	if err != nil {
		t.Fatal(err)
	}
	rec := record(ch)
	waitFor(t, "Joined(w)", func() bool { return rec.has(Joined, "w", NotLeft) })

	first.session.Orphan() // lost, but the key lives until the lease expires
	second, err := Register(ctx, cli, "/q", worker("w"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = second.Close(ctx) }()
	waitFor(t, "Updated(w)", func() bool { return rec.has(Updated, "w", NotLeft) })
	// The new lease has a registration time of its own, which an update
	// keeps.
	r1, r2 := first.Info().RegisteredAt, second.Info().RegisteredAt
	if r1.IsZero() || !r2.After(r1) {
		t.Errorf("registered at: first %v, second %v; want both set, the second later", r1, r2)
	}
	if err := second.Update(ctx, worker("w")); err != nil {
		t.Fatal(err)
	}
	if got := second.Info().RegisteredAt; !got.Equal(r2) {
		t.Errorf("registered at after an update: got %v; want %v kept", got, r2)
	}
	if err := first.Update(ctx, worker("w")); !errors.Is(err, ErrLost) {
		t.Errorf("got %v updating the superseded registration; want ErrLost", err)
	}
	waitFor(t, "the first lease to expire", func() bool {
		resp, err := cli.TimeToLive(ctx, first.Lease())
		return err == nil && resp.TTL == -1
	})
	if got := etcdWorkers(t, cli, "/q"); !slices.Equal(got, []string{"w"}) {
		t.Errorf("got workers %v after the old lease expired; want [w]", got)
	}
	if rec.has(Left, "w", Expired) {
		t.Error("got Left(w, expired) from the superseded lease; want none")
	}
	rec.check(t)
}
