package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// faultTransport passes requests to MinIO but lets a test replace the
// answer to chosen requests. fault is called for every request with the
// number of earlier requests of the same method to objects (requests to the
// bucket itself are counted apart); a nil response and nil
// error mean "pass through".
type faultTransport struct {
	base  http.RoundTripper
	mu    sync.Mutex
	count map[string]int
	fault func(req *http.Request, n int) (*http.Response, error)
}

func newFaultTransport(fault func(req *http.Request, n int) (*http.Response, error)) *faultTransport {
	return &faultTransport{base: http.DefaultTransport.(*http.Transport).Clone(), count: map[string]int{}, fault: fault}
}

// RoundTrip implements http.RoundTripper.
func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	what := req.Method
	if !isObject(req) {
		what = "bucket " + what
	}
	f.mu.Lock()
	n := f.count[what]
	f.count[what]++
	f.mu.Unlock()
	if resp, err := f.fault(req, n); resp != nil || err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return resp, err
	}
	return f.base.RoundTrip(req)
}

// requests returns how many object requests of method were made.
func (f *faultTransport) requests(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[method]
}

// s3Error builds an S3 error answer.
func s3Error(req *http.Request, status int, code string) *http.Response {
	body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>injected</Message></Error>"
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/xml"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}

// faultyBucket opens a bucket on srv through ft. Checking the bucket at
// New is a GET or HEAD on the bucket; faults should target object requests.
func faultyBucket(t *testing.T, srv *miniotest.Server, ft *faultTransport, policy objstore.RetryPolicy) *s3.Bucket {
	t.Helper()
	cfg := config(srv, "retry")
	cfg.Transport = ft
	cfg.Retry = policy
	return open(t, cfg)
}

// isObject reports whether req addresses an object (not the bucket).
func isObject(req *http.Request) bool {
	return strings.Count(strings.Trim(req.URL.Path, "/"), "/") >= 1
}

func TestRetries(t *testing.T) {
	srv := miniotest.Start(t)
	fast := objstore.RetryPolicy{MaxAttempts: 4, Initial: time.Millisecond, Max: 10 * time.Millisecond}
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 100_000)

	t.Run("5xx then success", func(t *testing.T) {
		ft := newFaultTransport(func(req *http.Request, n int) (*http.Response, error) {
			if req.Method == http.MethodPut && isObject(req) && n < 2 {
				return s3Error(req, http.StatusServiceUnavailable, "SlowDown"), nil
			}
			return nil, nil
		})
		b := faultyBucket(t, srv, ft, fast)
		if err := b.Upload(ctx, "a", bytes.NewReader(data)); err != nil {
			t.Fatalf("Upload: %v", err)
		}
		if got := ft.requests(http.MethodPut); got != 3 {
			t.Errorf("PUT requests: got %d; want 3 (two injected 503s, one success)", got)
		}
		if got, err := objstore.ReadAll(ctx, b, "a"); err != nil || !bytes.Equal(got, data) {
			t.Errorf("read back: got %d bytes, %v; want %d bytes", len(got), err, len(data))
		}
	})

	t.Run("4xx not retried", func(t *testing.T) {
		ft := newFaultTransport(func(req *http.Request, n int) (*http.Response, error) {
			if req.Method == http.MethodPut && isObject(req) {
				return s3Error(req, http.StatusForbidden, "AccessDenied"), nil
			}
			return nil, nil
		})
		b := faultyBucket(t, srv, ft, fast)
		if err := b.Upload(ctx, "b", bytes.NewReader(data)); err == nil {
			t.Fatal("Upload answered 403: got nil error")
		}
		if got := ft.requests(http.MethodPut); got != 1 {
			t.Errorf("PUT requests: got %d; want 1 (no retry of a 4xx)", got)
		}
	})

	t.Run("attempts bounded", func(t *testing.T) {
		ft := newFaultTransport(func(req *http.Request, n int) (*http.Response, error) {
			if req.Method == http.MethodHead && isObject(req) {
				return s3Error(req, http.StatusInternalServerError, "InternalError"), nil
			}
			return nil, nil
		})
		b := faultyBucket(t, srv, ft, fast)
		if _, err := b.Attributes(ctx, "a"); err == nil {
			t.Fatal("Attributes always answered 500: got nil error")
		}
		if got := ft.requests(http.MethodHead); got != fast.MaxAttempts {
			t.Errorf("HEAD requests: got %d; want %d", got, fast.MaxAttempts)
		}
	})

	t.Run("connection reset", func(t *testing.T) {
		ft := newFaultTransport(func(req *http.Request, n int) (*http.Response, error) {
			if req.Method == http.MethodGet && isObject(req) && n < 2 {
				return nil, syscall.ECONNRESET
			}
			return nil, nil
		})
		b := faultyBucket(t, srv, ft, fast)
		if got, err := objstore.ReadAll(ctx, b, "a"); err != nil || !bytes.Equal(got, data) {
			t.Errorf("Get with two resets: got %d bytes, %v; want %d bytes", len(got), err, len(data))
		}
	})

	t.Run("resume mid-stream", func(t *testing.T) {
		ft := newFaultTransport(nil)
		ft.fault = func(req *http.Request, n int) (*http.Response, error) {
			if req.Method != http.MethodGet || !isObject(req) || n > 1 {
				return nil, nil
			}
			// The first two GETs break after 1000 bytes.
			resp, err := ft.base.RoundTrip(req)
			if err != nil {
				return nil, err
			}
			resp.Body = &breakingBody{rc: resp.Body, left: 1000}
			return resp, nil
		}
		b := faultyBucket(t, srv, ft, fast)
		got, err := objstore.ReadAll(ctx, b, "a")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get broken twice mid-stream: got %d bytes, %v; want all %d verified", len(got), err, len(data))
		}
		if n := ft.requests(http.MethodGet); n != 3 {
			t.Errorf("GET requests: got %d; want 3", n)
		}
	})

	t.Run("cancel during back-off", func(t *testing.T) {
		ft := newFaultTransport(func(req *http.Request, n int) (*http.Response, error) {
			if isObject(req) {
				return s3Error(req, http.StatusServiceUnavailable, "ServiceUnavailable"), nil
			}
			return nil, nil
		})
		slow := objstore.RetryPolicy{MaxAttempts: 10, Initial: 10 * time.Second, Max: 10 * time.Second}
		b := faultyBucket(t, srv, ft, slow)
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := b.Attributes(cctx, "a")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v; want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("returned after %v; want promptly after the deadline", d)
		}
	})
}

// breakingBody fails with a connection reset after left bytes.
type breakingBody struct {
	rc   io.ReadCloser
	left int
}

func (b *breakingBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, syscall.ECONNRESET
	}
	n, err := b.rc.Read(p[:min(len(p), b.left)])
	b.left -= n
	return n, err
}

func (b *breakingBody) Close() error { return b.rc.Close() }

// TestServerRestart takes MinIO away while operations run and brings it
// back: the operations succeed through their retries.
func TestServerRestart(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := config(srv, "restart")
	cfg.Retry = objstore.RetryPolicy{MaxAttempts: 30, Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}
	b := open(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := bytes.Repeat([]byte("restart "), 50_000)
	if err := b.Upload(ctx, "before", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(time.Second)
		srv.Restart()
	}()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() {
		got, err := objstore.ReadAll(ctx, b, "before")
		if err == nil && !bytes.Equal(got, data) {
			err = errors.New("content differs")
		}
		errs[0] = err
	})
	wg.Go(func() { errs[1] = b.Upload(ctx, "during", bytes.NewReader(data)) })
	wg.Go(func() { errs[2] = b.PublishIfAbsent(ctx, "during-once", bytes.NewReader(data)) })
	wg.Wait()
	<-restarted
	for i, err := range errs {
		if err != nil {
			t.Errorf("operation %d across the restart: %v", i, err)
		}
	}
	keys, err := objstore.List(ctx, b, "")
	if err != nil || strings.Join(keys, ",") != "before,during,during-once" {
		t.Errorf("after the restart List = %q, %v; want [before during during-once]", keys, err)
	}
}
