package etcdtest

import (
	"context"
	"testing"
	"time"
)

func TestStartPutGetRestart(t *testing.T) {
	srv := StartServer(t)
	cli := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, err := cli.Put(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	srv.Restart()
	// The same client reconnects to the restarted server and sees the data.
	resp, err := cli.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v1" {
		t.Fatalf("got %v after restart; want k=v1", resp.Kvs)
	}

	lease, err := cli.Grant(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if lease.TTL != 1 {
		t.Errorf("got lease TTL %d; want 1 (fast ticks)", lease.TTL)
	}
}
