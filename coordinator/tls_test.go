package coordinator_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/bearer"
	"github.com/quarrydata/quarry/internal/certs"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/worker"
)

// testCerts makes a CA with a coordinator certificate for 127.0.0.1 and
// worker and client certificates, and returns their files.
func testCerts(t *testing.T) (coord, work, client certs.Files) {
	t.Helper()
	dir := t.TempDir()
	if err := certs.InitCA(dir, 0); err != nil {
		t.Fatal(err)
	}
	files := map[string]certs.Files{}
	for _, name := range []string{"coordinator", "worker", "client"} {
		req := certs.Request{Name: name}
		if name == "coordinator" {
			req.IPs, req.DNS = []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"}
		}
		c, k, err := certs.Issue(dir, req)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = certs.Files{Cert: c, Key: k, CA: filepath.Join(dir, certs.CAFile)}
	}
	return files["coordinator"], files["worker"], files["client"]
}

func clientTLS(t *testing.T, f certs.Files) *tls.Config {
	t.Helper()
	c, err := f.Client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dialTLS dials addr over mutual TLS with cfg, sending token (if any).
func dialTLS(t *testing.T, addr string, cfg *tls.Config, token string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer.Token(token)))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestTLSCluster runs a three-node group with raft, gRPC and HTTP over
// mutual TLS and tokens on, and a worker dialling with its certificate
// and worker token: a job succeeds, and clients without a certificate,
// or with one but without a token, are refused.
func TestTLSCluster(t *testing.T) {
	coordFiles, workFiles, clientFiles := testCerts(t)
	ctls, err := coordinator.LoadTLS(coordFiles)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := &testCluster{bucket: newBucket(t), etcd: etcdtest.Start(t)}
	var peers []coordinator.Peer
	for i, addr := range testenv.MustFreeAddrs(t, 3) {
		peers = append(peers, coordinator.Peer{ID: "t" + strconv.Itoa(i), RaftAddr: addr})
	}
	dir := t.TempDir()
	var nodes []*coordinator.Node
	for i, p := range peers {
		cfg := coordinator.LocalConfig(p.ID, filepath.Join(dir, p.ID))
		cfg.BindAddr = p.RaftAddr
		node, err := coordinator.StartNode(ctx, coordinator.NodeConfig{
			Raft: cfg, Peers: peers, Bucket: c.bucket, Etcd: c.etcd, Prefix: e2ePrefix,
			GRPCAddr: "127.0.0.1:0", HTTPAddr: map[bool]string{true: "127.0.0.1:0"}[i == 0],
			TLS: ctls, Tokens: testTokens(t),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { node.Close() })
		nodes = append(nodes, node)
	}
	leader, _ := leadingNode(t, nodes) // elected over raft-over-TLS
	c.store = leader.Store()

	c.startWorkerWith(t, worker.Config{ID: "w1", Slots: 2, Bucket: c.bucket, TLS: clientTLS(t, workFiles), Token: tokWorker})
	c.waitWorkers(t, "w1")

	jc := quarryv1.NewJobServiceClient(dialTLS(t, leader.GRPCAddr(), clientTLS(t, clientFiles), tokAnalyst))
	if _, err := jc.SubmitJob(ctx, &quarryv1.SubmitJobRequest{RequestId: "tls-job", Spec: []byte(e2eSpec)}); err != nil {
		t.Fatal(err)
	}
	if j := c.waitJob(t, "tls-job", 30*time.Second); j.State.String() != "succeeded" {
		t.Fatalf("job tls-job: got %s (%s); want succeeded", j.State, j.Reason)
	}

	// A client with a certificate but no token, or a token of a role
	// lacking the permission.
	_, err = quarryv1.NewJobServiceClient(dialTLS(t, leader.GRPCAddr(), clientTLS(t, clientFiles), "")).ListJobs(ctx, &quarryv1.ListJobsRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("ListJobs without a token: got %v; want Unauthenticated", err)
	}
	_, err = jc.ListWorkers(ctx, &quarryv1.ListWorkersRequest{})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListWorkers as analyst: got %v; want PermissionDenied", err)
	}
	// A client without a certificate, or not trusting the CA, gets no
	// connection at all.
	noCert := clientTLS(t, clientFiles)
	noCert.Certificates = nil
	short, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	_, err = quarryv1.NewJobServiceClient(dialTLS(t, leader.GRPCAddr(), noCert, tokAdmin)).ListJobs(short, &quarryv1.ListJobsRequest{})
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Errorf("ListJobs without a client certificate: got %v; want Unavailable", err)
	}

	// HTTP: over TLS with a client certificate and a token; refused
	// without the certificate.
	if nodes[0].HTTPAddr() == "" {
		t.Fatal("node t0 serves no HTTP")
	}
	get := func(cfg *tls.Config, path, token string) (int, error) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
		req, _ := http.NewRequest("GET", "https://"+nodes[0].HTTPAddr()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(clientTLS(t, clientFiles), "/healthz", ""); err != nil || code != 200 {
		t.Errorf("GET /healthz over TLS: got %d, %v; want 200", code, err)
	}
	if code, err := get(clientTLS(t, clientFiles), "/v1/workers", ""); err != nil || code != 401 {
		t.Errorf("GET /v1/workers without a token: got %d, %v; want 401", code, err)
	}
	if code, err := get(clientTLS(t, clientFiles), "/metrics", ""); err != nil || code != 200 {
		t.Errorf("GET /metrics over TLS: got %d, %v; want 200", code, err)
	}
	if _, err := get(noCert, "/healthz", ""); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GET /healthz without a client certificate: got %v; want a TLS refusal", err)
	}
}

// TestRaftTLSRefusesStranger checks that a replica with a certificate of
// another CA cannot take part in a TLS group: the group's leader cannot
// replicate to it, and it never learns the leader.
func TestRaftTLSRefusesStranger(t *testing.T) {
	coordFiles, _, _ := testCerts(t)
	strangerFiles, _, _ := testCerts(t)
	good, err := coordinator.LoadTLS(coordFiles)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := coordinator.LoadTLS(strangerFiles)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	var stores []*coordinator.Store
	for i, tl := range []*coordinator.TLS{good, good, bad} {
		cfg := coordinator.LocalConfig("r"+strconv.Itoa(i), filepath.Join(dir, strconv.Itoa(i)))
		cfg.TLS = tl
		s, err := coordinator.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	if err := stores[0].Bootstrap(); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[0].WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].Join(stores[1].ID(), stores[1].Addr()); err != nil {
		t.Fatalf("join a replica of the same CA: %v", err)
	}
	if _, err := stores[1].WaitForLeader(ctx); err != nil {
		t.Fatalf("replica of the same CA: %v", err)
	}
	_ = stores[0].Join(stores[2].ID(), stores[2].Addr()) // committed by the two good replicas
	short, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	if id, err := stores[2].WaitForLeader(short); err == nil {
		t.Errorf("replica of another CA: got leader %q; want none (no TLS handshake succeeds)", id)
	}
}
