package etcdembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Config configures the embedded server. Start from DefaultConfig.
type Config struct {
	// Name is the member name (default "quarry-dev").
	Name string
	// Dir holds the member's data; a restart on the same Dir resumes it.
	Dir string
	// ClientAddr is the loopback host:port clients connect to; port 0
	// (or just "0", meaning 127.0.0.1:0) picks a free port.
	ClientAddr string
	// PeerAddr is the loopback host:port of the (unused) peer listener;
	// port 0 picks a free port.
	PeerAddr string
	// StartTimeout bounds how long the server may take to become ready.
	StartTimeout time.Duration
	// Logger receives a line when the server starts and stops.
	Logger *slog.Logger
}

// DefaultConfig returns a configuration on 127.0.0.1:2379 with a free peer
// port; Dir is left to the caller.
func DefaultConfig() Config {
	return Config{
		Name:         "quarry-dev",
		ClientAddr:   "127.0.0.1:2379",
		PeerAddr:     "127.0.0.1:0",
		StartTimeout: 30 * time.Second,
		Logger:       slog.New(slog.DiscardHandler),
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("etcd config: empty name")
	case c.Dir == "":
		return errors.New("etcd config: empty dir")
	case c.ClientAddr == "" || c.PeerAddr == "":
		return errors.New("etcd config: empty address")
	case c.StartTimeout <= 0:
		return errors.New("etcd config: start timeout must be positive")
	case c.Logger == nil:
		return errors.New("etcd config: nil logger")
	}
	return nil
}

// Server is a running embedded etcd member.
type Server struct {
	e         *embed.Etcd
	clientURL url.URL
	log       *slog.Logger
}

// Start starts the server and waits until it serves clients or ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// A port picked by resolve can be taken by another process before etcd
	// binds it; only then is a fresh pick worth a retry.
	retries := 0
	if isFreePort(cfg.ClientAddr) || isFreePort(cfg.PeerAddr) {
		retries = 5
	}
	var (
		e         *embed.Etcd
		clientURL url.URL
	)
	for attempt := 0; ; attempt++ {
		var err error
		e, clientURL, err = startOnce(cfg)
		if err == nil {
			break
		}
		if attempt < retries && errors.Is(err, syscall.EADDRINUSE) {
			cfg.Logger.Debug("etcd port taken, picking another", "err", err)
			continue
		}
		return nil, err
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("embedded etcd not ready after %v", cfg.StartTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("start embedded etcd: %w", ctx.Err())
	}
	s := &Server{e: e, clientURL: clientURL, log: cfg.Logger.With("component", "etcd")}
	s.log.Info("embedded etcd ready", "client", s.Endpoint(), "dir", cfg.Dir)
	return s, nil
}

// startOnce resolves free ports and starts etcd, without waiting for it.
func startOnce(cfg Config) (*embed.Etcd, url.URL, error) {
	clientAddr, err := resolvePort(cfg.ClientAddr)
	if err != nil {
		return nil, url.URL{}, fmt.Errorf("etcd client address: %w", err)
	}
	peerAddr, err := resolvePort(cfg.PeerAddr)
	if err != nil {
		return nil, url.URL{}, fmt.Errorf("etcd peer address: %w", err)
	}
	clientURL := url.URL{Scheme: "http", Host: clientAddr}
	peerURL := url.URL{Scheme: "http", Host: peerAddr}

	ec := embed.NewConfig()
	ec.Name = cfg.Name
	ec.Dir = cfg.Dir
	ec.ListenClientUrls = []url.URL{clientURL}
	ec.AdvertiseClientUrls = []url.URL{clientURL}
	ec.ListenPeerUrls = []url.URL{peerURL}
	ec.AdvertisePeerUrls = []url.URL{peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	// Short ticks: on loopback a 1 s election allows worker leases of 2 s.
	ec.TickMs = 20
	ec.ElectionMs = 200
	ec.LogLevel = "error"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, url.URL{}, fmt.Errorf("start embedded etcd: %w", err)
	}
	return e, clientURL, nil
}

// isFreePort reports whether addr asks for a free port ("0" or host:0).
func isFreePort(addr string) bool {
	if addr == "0" {
		return true
	}
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

// Endpoint returns the client URL, e.g. "http://127.0.0.1:2379".
func (s *Server) Endpoint() string { return s.clientURL.String() }

// Client returns a new client of the server; the caller closes it.
func (s *Server) Client() (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{s.Endpoint()},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	return cli, nil
}

// Close stops the server, keeping its data. Close clients first: etcd
// waits for open watch streams to drain.
func (s *Server) Close() {
	s.e.Close()
	s.log.Info("embedded etcd stopped")
}

// resolvePort is resolve; tests replace it to hand out a taken port.
var resolvePort = resolve

// resolve replaces port 0 in a loopback address by a port that was free a
// moment ago: etcd advertises the URLs it listens on, so it needs the
// port before it starts.
func resolve(addr string) (string, error) {
	if addr == "0" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return addr, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
