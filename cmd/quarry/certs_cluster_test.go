package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/quarrydata/quarry/internal/certs"
	"github.com/quarrydata/quarry/internal/etcdtest"
	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/internal/testenv"
)

// Distinctive secrets of TestSecureClusterLeaksNoSecret: none may appear
// in any log line, error, metric or job status.
const (
	leakAdmin   = "TOKENadmin-SEKRETxyz-0001"
	leakWorker  = "TOKENworker-SEKRETxyz-0002"
	leakAnalyst = "TOKENanalyst-SEKRETxyz-0003"
	leakWrong   = "TOKENwrong-SEKRETxyz-0004"
	leakS3Wrong = "SEKRETxyz-wrong-s3-secret-0005"
)

// TestSecureClusterLeaksNoSecret runs `quarry coordinator` and `quarry
// worker` over mutual TLS with tokens, on MinIO, with the client commands
// on TLS too: a job succeeds; then it forces errors (wrong S3
// credentials, a wrong token, a role lacking the permission, MinIO gone)
// and checks that no credential or token appears in the logs (at debug
// level), the errors, the outputs, the metrics or the job statuses.
func TestSecureClusterLeaksNoSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO, etcd, a coordinator and a worker")
	}
	logs := captureStderr(t) // before anything reads os.Stderr
	mio := miniotest.Start(t)
	etcd := etcdtest.StartServer(t)
	var (
		mu   sync.Mutex
		seen bytes.Buffer // every output, error, metric and status
	)
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		seen.WriteString(s + "\n")
	}
	// run runs a client command at debug level (the level is global: a
	// command at level error would hide the servers' debug lines).
	run := func(args ...string) (string, error) {
		return runLogged(context.Background(), append(args, "--log-level", "debug")...)
	}
	mustRunDebug := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("quarry %s: %v", strings.Join(args, " "), err)
		}
		return out
	}

	dir := t.TempDir()
	mustRun(t, "certs", "init", "--dir", dir)
	mustRun(t, "certs", "issue", "--dir", dir, "--name", "coordinator", "--ip", "127.0.0.1")
	mustRun(t, "certs", "issue", "--dir", dir, "--name", "worker")
	mustRun(t, "certs", "issue", "--dir", dir, "--name", "client")
	tlsOf := func(name string) []string {
		return []string{"--tls-cert", certs.CertFile(dir, name), "--tls-key", certs.KeyFile(dir, name), "--tls-ca", filepath.Join(dir, certs.CAFile)}
	}
	t.Setenv("QUARRY_TOKENS", leakAdmin+" admin root; "+leakWorker+" worker workers; "+leakAnalyst+" analyst alice")
	t.Setenv("AWS_ACCESS_KEY_ID", mio.AccessKey)
	store := "s3://" + mio.Bucket + "/leak?insecure=true&endpoint=" + mio.Endpoint
	common := []string{"--store", store, "--etcd", etcd.Endpoint(), "--prefix", "/leak", "--log-level", "debug"}

	// Wrong S3 credentials.
	t.Setenv("AWS_SECRET_ACCESS_KEY", leakS3Wrong)
	out, err := runLogged(context.Background(), "dataset", "ls", "--store", store, "--log-level", "debug")
	if err == nil {
		t.Fatal("dataset ls with a wrong S3 secret: got no error")
	}
	note(out + err.Error())
	t.Setenv("AWS_SECRET_ACCESS_KEY", mio.SecretKey)
	note(mustRun(t, "dataset", "import", testenv.Path(t, "online-retail-sample.csv.gz"), "--name", "shop", "--store", store))

	addrs := testenv.MustFreeAddrs(t, 4)
	grpcAddr, httpAddr, raftAddr, metricsAddr := addrs[0], addrs[1], addrs[2], addrs[3]
	ctx, stop := context.WithCancel(context.Background())
	coordDone, workerDone := make(chan error, 1), make(chan error, 1)
	go func() {
		out, err := runLogged(ctx, append([]string{"coordinator", "--id", "c1", "--grpc-addr", grpcAddr, "--http-addr", httpAddr,
			"--raft-addr", raftAddr, "--data-dir", t.TempDir()}, append(common, tlsOf("coordinator")...)...)...)
		note(out)
		coordDone <- err
	}()
	go func() {
		out, err := runLogged(ctx, append([]string{"worker", "--id", "w1", "--slots", "2", "--metrics-addr", metricsAddr, "--token", leakWorker},
			append(common, tlsOf("worker")...)...)...)
		note(out)
		workerDone <- err
	}()
	var stopped []error
	stopAll := sync.OnceFunc(func() {
		stop()
		stopped = append(stopped, <-workerDone, <-coordDone)
	})
	defer stopAll()
	client := append([]string{"--coordinator", grpcAddr, "--timeout", "20s"}, tlsOf("client")...)

	note(mustRunDebug(append([]string{"submit", "rules", "--dataset", "shop", "--min-support", "0.05", "--id", "r1", "--watch", "--token", leakAnalyst}, client...)...))

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs", "ls", "--token", leakWrong}, "unknown bearer token"},
		{[]string{"jobs", "ls"}, "missing bearer token"},
		{[]string{"workers", "ls", "--token", leakAnalyst}, `token "alice" (roles analyst) may not read workers`},
	} {
		_, err := run(append(tt.args, client...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("quarry %s: got %v; want an error with %q", strings.Join(tt.args, " "), err, tt.want)
		} else {
			note(err.Error())
		}
	}
	note(mustRunDebug(append([]string{"workers", "ls", "--token", leakAdmin}, client...)...))

	// Metrics of the coordinator (HTTPS, client certificate) and the worker.
	cc, err := (certs.Files{Cert: certs.CertFile(dir, "client"), Key: certs.KeyFile(dir, "client"), CA: filepath.Join(dir, certs.CAFile)}).Client()
	if err != nil {
		t.Fatal(err)
	}
	note(scrape(t, &http.Client{Transport: &http.Transport{TLSClientConfig: cc}}, "https://"+httpAddr+"/metrics"))
	note(scrape(t, http.DefaultClient, "http://"+metricsAddr+"/metrics"))

	note(mustRunDebug(append([]string{"jobs", "get", "r1", "--output", "json", "--token", leakAdmin}, client...)...))

	// The store gone: a submission fails, naming the store, not its key.
	mio.Stop()
	_, err = run(append([]string{"submit", "rules", "--dataset", "shop", "--min-support", "0.05", "--id", "r2", "--token", leakAnalyst, "--timeout", "2s"}, client...)...)
	if err == nil {
		t.Error("submit with MinIO stopped: got no error")
	} else {
		note(err.Error())
	}
	note(mustRunDebug(append([]string{"jobs", "ls", "--output", "json", "--token", leakAdmin}, client...)...))

	stopAll()
	for _, err := range stopped {
		if err != nil {
			t.Errorf("stop: %v", err)
			note(err.Error())
		}
	}
	logged := logs()
	if !strings.Contains(logged, "coordinator started") || !strings.Contains(logged, "tls=true") || !strings.Contains(logged, "level=DEBUG") {
		t.Errorf("captured logs lack the coordinator's start with TLS or debug lines:\n%.2000s", logged)
	}
	all := seen.String() + logged
	if !strings.Contains(all, "unknown bearer token") || !strings.Contains(all, "quarry_") {
		t.Fatalf("the collected output lacks the errors or metrics it should hold:\n%.2000s", all)
	}
	for _, secret := range []string{mio.SecretKey, leakS3Wrong, leakAdmin, leakWorker, leakAnalyst, leakWrong} {
		if i := strings.Index(all, secret); i >= 0 {
			t.Errorf("secret %.12s… appears in the output: …%s…", secret, all[max(0, i-200):min(len(all), i+len(secret)+50)])
		}
	}
	t.Logf("checked %d bytes of logs, errors, metrics and statuses", len(all))
}

// runLogged executes the command line in-process until ctx ends, logging
// as its --log-level says to the (captured) standard error.
func runLogged(ctx context.Context, args ...string) (string, error) {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

// captureStderr redirects os.Stderr, where the commands log, to a file
// until the test ends, and returns a function reading what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = old; f.Close() })
	return func() string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

// scrape returns the body of GET url.
func scrape(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape %s: got %d, %v; want 200", url, resp.StatusCode, err)
	}
	return string(b)
}
