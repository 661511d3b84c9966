package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/worker/registry"
)

// TestModelVersion publishes model versions and follows them: versions
// only grow, and the watch sends 0, then each new version.
func TestModelVersion(t *testing.T) {
	cli := etcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch := registry.WatchModelVersion(ctx, cli, "/m", "retail")
	next := func(want int) {
		t.Helper()
		select {
		case got := <-ch:
			if got != want {
				t.Fatalf("watch: got version %d; want %d", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("watch: no version; want %d", want)
		}
	}
	next(0)
	for _, tc := range []struct {
		version int
		wrote   bool
	}{{2, true}, {1, false}, {2, false}, {3, true}} {
		wrote, err := registry.PublishModelVersion(ctx, cli, "/m", "retail", tc.version)
		if err != nil || wrote != tc.wrote {
			t.Fatalf("publish v%d: got %v, %v; want %v", tc.version, wrote, err, tc.wrote)
		}
		if wrote {
			next(tc.version)
		}
	}
	if _, err := registry.PublishModelVersion(ctx, cli, "/m", "a/b", 1); err == nil {
		t.Error("publish under a name with '/': got nil; want an error")
	}
	if _, err := registry.PublishModelVersion(ctx, cli, "/m", "retail", 0); err == nil {
		t.Error("publish version 0: got nil; want an error")
	}
}
