package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quarrydata/quarry/internal/testenv"
)

// EnvSkip names the variable that turns a missing bin/minio into a skip.
const EnvSkip = "QUARRY_SKIP_MINIO"

// readyTimeout bounds how long a (re)start may take.
const readyTimeout = 60 * time.Second

// Server is a running MinIO server.
type Server struct {
	// Endpoint is host:port of the S3 API (plain HTTP).
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Bucket is the bucket created at start.
	Bucket string
	// Dir is the data folder.
	Dir string

	t       testing.TB
	bin     string
	console string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd exits
	log     *syncBuffer
}

// Binary returns the path of bin/minio, or "" when it is not installed.
func Binary() string {
	root, ok := testenv.RepoRoot()
	if !ok {
		return ""
	}
	p := filepath.Join(root, "bin", "minio")
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return ""
	}
	return p
}

// Start starts a MinIO server with a bucket named "quarry-test" and
// registers its shutdown with t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv(EnvSkip) == "1" {
			t.Skip("bin/minio not installed and " + EnvSkip + "=1: skipping the MinIO test")
		}
		t.Fatal("bin/minio not found: run `make deps` (or bash scripts/deps.sh) to install MinIO, or set " + EnvSkip + "=1 to skip these tests")
	}
	s := &Server{
		AccessKey: "quarry" + randomHex(t, 8),
		SecretKey: randomHex(t, 20),
		Bucket:    "quarry-test",
		Dir:       t.TempDir(),
		t:         t,
		bin:       bin,
		log:       &syncBuffer{},
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop minio: %v", err)
		}
		if t.Failed() {
			t.Logf("minio log:\n%s", s.log.String())
		}
	})
	s.pickPorts(t)
	// A port free a moment ago can be taken by a parallel test package
	// before MinIO binds it; MinIO then exits at once, and fresh ports are
	// worth another try.
	for attempt := 0; ; attempt++ {
		err := s.start()
		if err == nil {
			break
		}
		if attempt < 3 && errors.Is(err, errExited) {
			_ = s.stop()
			s.pickPorts(t)
			t.Logf("minio exited during start-up, trying new ports:\n%s", s.log.String())
			continue
		}
		t.Fatalf("start minio: %v\n%s", err, s.log.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client(t).MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("create bucket %s: %v", s.Bucket, err)
	}
	return s
}

// URL returns the S3 API base URL, http://host:port.
func (s *Server) URL() string { return "http://" + s.Endpoint }

// Client returns a minio-go client logged in as root.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatalf("minio client: %v", err)
	}
	return c
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s); the data stays.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.stop(); err != nil {
		s.t.Fatalf("stop minio: %v", err)
	}
}

// Restart starts the stopped server again on the same address with the
// same data and credentials, and waits until it is ready.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.stop(); err != nil {
		s.t.Fatalf("stop minio: %v", err)
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("restart minio: %v\n%s", err, s.log.String())
	}
}

// start launches the process and waits for readiness.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	cmd := exec.Command(s.bin, "server", filepath.Join(s.Dir, "data"),
		"--address", s.Endpoint, "--console-address", s.console,
		"--certs-dir", filepath.Join(s.Dir, "certs"), "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"HOME="+s.Dir,
	)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	return s.waitReady(done)
}

// errExited is start's error when MinIO exits before it is ready.
var errExited = errors.New("minio exited during start-up")

// waitReady polls /minio/health/ready until it answers 200.
func (s *Server) waitReady(done <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return errExited
		default:
		}
		resp, err := client.Get(s.URL() + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("minio not ready after %v", readyTimeout)
}

// stop terminates the process if it runs.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	<-done
	return nil
}

// pickPorts picks the S3 and console addresses: two distinct loopback
// ports free a moment ago.
func (s *Server) pickPorts(t testing.TB) {
	t.Helper()
	addrs := testenv.MustFreeAddrs(t, 2)
	s.Endpoint, s.console = addrs[0], addrs[1]
}

// randomHex returns 2n random hex digits.
func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for the process's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
