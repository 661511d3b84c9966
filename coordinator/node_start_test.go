package coordinator_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/etcdtest"
)

// TestStartNodeFailsCleanly checks that a start that fails answers an
// error, not a panic, and releases what it opened: the same data folder
// starts fine afterwards.
func TestStartNodeFailsCleanly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, cli := newBucket(t), etcdtest.Start(t)
	dir := filepath.Join(t.TempDir(), "n")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	config := func() coordinator.NodeConfig {
		cfg := coordinator.LocalConfig("n", dir)
		return coordinator.NodeConfig{Raft: cfg, Bucket: b, Etcd: cli, Prefix: "/start", GRPCAddr: "127.0.0.1:0"}
	}

	bad := config()
	bad.Raft.Scheduler.MaxAttempts = 0
	if n, err := coordinator.StartNode(ctx, bad); err == nil || n != nil || !strings.Contains(err.Error(), "max attempts") {
		t.Fatalf("invalid scheduler config: got %v, %v; want nil and an error naming max attempts", n, err)
	}
	busy := config()
	busy.GRPCAddr = taken.Addr().String() // fails after the raft store is open
	if n, err := coordinator.StartNode(ctx, busy); err == nil || n != nil {
		t.Fatalf("gRPC address taken: got %v, %v; want nil and an error", n, err)
	}
	n, err := coordinator.StartNode(ctx, config())
	if err != nil {
		t.Fatalf("start after failed starts: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
