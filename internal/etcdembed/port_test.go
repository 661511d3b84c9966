package etcdembed

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestStartRetriesTakenPort hands Start a client port that another
// listener holds, as happens when a free port is taken between the pick
// and etcd's bind: Start picks again and serves.
func TestStartRetriesTakenPort(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	taken := held.Addr().String()
	picks := 0
	resolvePort = func(addr string) (string, error) {
		if addr == "0" && picks == 0 {
			picks++
			return taken, nil
		}
		return resolve(addr)
	}
	defer func() { resolvePort = resolve }()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.ClientAddr = "0"
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start with a taken first pick: %v", err)
	}
	defer s.Close()
	if picks != 1 {
		t.Errorf("taken port handed out %d times; want 1", picks)
	}
	if s.Endpoint() == "http://"+taken {
		t.Errorf("endpoint %s is the taken port", s.Endpoint())
	}
}

// TestStartFixedPortTakenFails checks that a port the operator named is
// not silently replaced when it is taken.
func TestStartFixedPortTakenFails(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.ClientAddr = held.Addr().String()
	cfg.PeerAddr = "127.0.0.1:0"
	if s, err := Start(ctx, cfg); err == nil {
		s.Close()
		t.Fatalf("start on taken fixed port %s: got nil error", cfg.ClientAddr)
	}
}
