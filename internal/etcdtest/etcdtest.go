package etcdtest

import (
	"errors"
	"fmt"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// startTimeout bounds how long a start or restart may take.
const startTimeout = 30 * time.Second

// Server is an embedded single-member etcd server owned by one test.
type Server struct {
	t         testing.TB
	dir       string
	clientURL url.URL
	peerURL   url.URL

	mu sync.Mutex
	e  *embed.Etcd // nil while stopped
}

// Start starts an embedded etcd server and returns a client connected to it;
// both are closed when the test ends.
func Start(t testing.TB) *clientv3.Client {
	t.Helper()
	return StartServer(t).Client(t)
}

// StartServer starts an embedded etcd server that is stopped when the test
// ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir()}
	// A port free a moment ago can be taken by a parallel test package
	// before etcd binds it: pick again then.
	for attempt := 0; ; attempt++ {
		addrs := testenv.MustFreeAddrs(t, 2)
		s.clientURL = url.URL{Scheme: "http", Host: addrs[0]}
		s.peerURL = url.URL{Scheme: "http", Host: addrs[1]}
		err := s.start()
		if err == nil {
			break
		}
		if attempt < 5 && errors.Is(err, syscall.EADDRINUSE) {
			continue
		}
		t.Fatalf("etcdtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Endpoint returns the client URL, e.g. "http://127.0.0.1:40123".
func (s *Server) Endpoint() string { return s.clientURL.String() }

// Client returns a new client of the server, closed when the test ends. Its
// reconnection back-off is short, so it finds a restarted server quickly.
func (s *Server) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{s.Endpoint()},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: time.Second,
		})},
	})
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// Stop stops the server, keeping its data folder; clients see it as down.
// It takes about 5 s while clients hold watch streams: etcd waits that long
// for them to drain before closing them.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.e != nil {
		s.e.Close()
		s.e = nil
	}
}

// Restart starts a stopped server again on the same data folder and ports.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("etcdtest: restart: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.e != nil {
		return fmt.Errorf("server already running")
	}
	cfg := embed.NewConfig()
	cfg.Name = "etcdtest"
	cfg.Dir = s.dir
	cfg.ListenClientUrls = []url.URL{s.clientURL}
	cfg.AdvertiseClientUrls = []url.URL{s.clientURL}
	cfg.ListenPeerUrls = []url.URL{s.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{s.peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// Fast ticks: the minimum lease TTL is 1.5 election timeouts rounded up
	// to a second, so 100 ms elections allow 1 s leases.
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("embedded etcd failed: %w", err)
	case <-time.After(startTimeout):
		e.Close()
		return fmt.Errorf("embedded etcd not ready after %v", startTimeout)
	}
	s.e = e
	return nil
}
