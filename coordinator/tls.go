package coordinator

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/quarrydata/quarry/internal/certs"
)

// TLS is the mutual TLS of a coordinator: Server serves its gRPC, HTTP
// and raft listeners and requires client certificates signed by the CA;
// Client dials the other replicas' raft listeners with this replica's
// certificate. Build it from certificate files with LoadTLS.
type TLS struct {
	Server *tls.Config
	Client *tls.Config
}

// LoadTLS reads the certificate, key and CA files of a coordinator; it
// returns nil, nil when f names none (plain TCP), and an error naming the
// file at fault otherwise.
func LoadTLS(f certs.Files) (*TLS, error) {
	if !f.Enabled() {
		return nil, nil
	}
	srv, err := f.Server()
	if err != nil {
		return nil, err
	}
	cli, err := f.Client()
	if err != nil {
		return nil, err
	}
	return &TLS{Server: srv, Client: cli}, nil
}

// validate reports an incomplete TLS.
func (t *TLS) validate() error {
	if t != nil && (t.Server == nil || t.Client == nil) {
		return errors.New("coordinator tls: both server and client configurations are required")
	}
	return nil
}

// grpcOptions returns the server option serving gRPC over t, none for nil.
func (t *TLS) grpcOptions() []grpc.ServerOption {
	if t == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(t.Server))}
}

// listen listens on addr, over TLS when t is set.
func (t *TLS) listen(addr string) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil || t == nil {
		return lis, err
	}
	return tls.NewListener(lis, t.Server), nil
}

// tlsStreamLayer is a raft.StreamLayer over mutual TLS: it accepts on a
// TLS listener and dials with the client configuration, verifying the
// peer's certificate against the CA and its raft address.
type tlsStreamLayer struct {
	net.Listener
	client *tls.Config
}

// Dial implements raft.StreamLayer. The handshake completes before it
// returns, so a peer with a bad certificate fails here, naming the peer.
func (l *tlsStreamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: l.client}
	conn, err := d.Dial("tcp", string(addr))
	if err != nil {
		return nil, fmt.Errorf("raft tls dial %s: %w", addr, err)
	}
	return conn, nil
}

// newTransport returns the raft transport of cfg: plain TCP, or mutual TLS
// when cfg.TLS is set.
func newTransport(cfg Config, logger hclog.Logger) (*raft.NetworkTransport, error) {
	if cfg.TLS == nil {
		return raft.NewTCPTransportWithLogger(cfg.BindAddr, nil, 4, 10*time.Second, logger)
	}
	if err := cfg.TLS.validate(); err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", cfg.BindAddr)
	if err != nil {
		return nil, err
	}
	if a, ok := lis.Addr().(*net.TCPAddr); !ok || a.IP == nil || a.IP.IsUnspecified() {
		lis.Close()
		return nil, fmt.Errorf("raft address %s is not advertisable: bind a specific address", lis.Addr())
	}
	stream := &tlsStreamLayer{Listener: tls.NewListener(lis, cfg.TLS.Server), client: cfg.TLS.Client}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: stream, MaxPool: 4, Timeout: 10 * time.Second, Logger: logger,
	}), nil
}
