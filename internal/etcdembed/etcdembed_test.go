package etcdembed_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/etcdembed"
)

// TestRestartKeepsData starts a server on free ports, writes a key, stops
// it and starts it again on the same folder: the key is still there.
func TestRestartKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := etcdembed.DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.ClientAddr = "0"
	for i, step := range []string{"put", "get"} {
		s, err := etcdembed.Start(ctx, cfg)
		if err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
		cli, err := s.Client()
		if err != nil {
			s.Close()
			t.Fatal(err)
		}
		switch step {
		case "put":
			_, err = cli.Put(ctx, "k", "v")
		case "get":
			r, gerr := cli.Get(ctx, "k")
			if err = gerr; err == nil && (len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v") {
				t.Errorf("get k after restart: got %v; want v", r.Kvs)
			}
		}
		cli.Close()
		s.Close()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
}

// TestValidate checks that a configuration without a folder is refused.
func TestValidate(t *testing.T) {
	cfg := etcdembed.DefaultConfig()
	if err := cfg.Validate(); err == nil {
		t.Errorf("validate without dir: got nil; want an error")
	}
	cfg.Dir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Errorf("validate: got %v; want nil", err)
	}
}
