package crmapi

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/worker/registry"
)

// TestFollow publishes model versions in etcd as the coordinator does and
// checks the server swaps to each, keeps serving through a version that
// cannot load, and leaves a rollback alone until the next publication.
func TestFollow(t *testing.T) {
	f := sharedFixture(t)
	cli := etcdtest.Start(t)
	s, err := NewServer(DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		Follow(ctx, s, f.store, cli, "/crm", "retail")
	}()
	serving := func(want int) {
		t.Helper()
		for s.Model() == nil || s.Model().Version != want {
			select {
			case <-ctx.Done():
				got := 0
				if m := s.Model(); m != nil {
					got = m.Version
				}
				t.Fatalf("serving version %d; want %d", got, want)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	publish := func(v int) {
		t.Helper()
		if _, err := registry.PublishModelVersion(ctx, cli, "/crm", "retail", v); err != nil {
			t.Fatal(err)
		}
	}
	published := func(want float64) {
		t.Helper()
		for gaugeValue(t, s.metrics.published) != want {
			select {
			case <-ctx.Done():
				t.Fatalf("quarry_crmapi_model_published_version: got %v; want %v", gaugeValue(t, s.metrics.published), want)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	publish(1)
	serving(1)
	published(1)
	publish(2)
	serving(2)
	published(2)
	if _, err := s.Rollback(); err != nil {
		t.Fatal(err)
	}
	serving(1)
	// Version 9 does not exist: refused, version 1 keeps serving.
	publish(9)
	published(9)
	serving(1)
	cancel()
	<-followed
	if got := gaugeValue(t, s.metrics.published); got != 0 {
		t.Errorf("quarry_crmapi_model_published_version after Follow returned: got %v; want 0", got)
	}
}
