package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Bucket is a Bucket over one S3 bucket and key prefix. It is safe for
// concurrent use.
type Bucket struct {
	cfg    Config
	client *minio.Client
	prefix string // "" or ends with "/"
	name   string // String() value, computed once
}

// New connects to the bucket described by cfg and checks that the bucket
// exists.
func New(ctx context.Context, cfg Config) (*Bucket, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, secure, _ := cfg.endpoint()
	tr := cfg.Transport
	if tr == nil {
		var err error
		if tr, err = minio.DefaultTransport(secure); err != nil {
			return nil, fmt.Errorf("s3: transport: %w", err)
		}
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, string(cfg.SecretKey), string(cfg.SessionToken))
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	client, err := minio.New(host, &minio.Options{
		Creds:      creds,
		Secure:     secure,
		Region:     cfg.Region,
		Transport:  tr,
		MaxRetries: 1, // our own retry loop is the only one
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", cfg, err)
	}
	b := &Bucket{cfg: cfg, client: client, name: cfg.String()}
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		b.prefix = p + "/"
	}
	var ok bool
	err = b.retry(ctx, func(int) error {
		var err error
		ok, err = client.BucketExists(ctx, cfg.Bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: bucket %q does not exist", b, cfg.Bucket)
	}
	return b, nil
}

// String describes the bucket: s3://bucket/prefix, endpoint and region.
func (b *Bucket) String() string { return b.name }

// Client returns the underlying minio-go client, for tests and tools.
func (b *Bucket) Client() *minio.Client { return b.client }

// object returns the S3 object name of key.
func (b *Bucket) object(key string) string { return b.prefix + key }

// retry runs fn under the configured retry policy.
func (b *Bucket) retry(ctx context.Context, fn func(attempt int) error) error {
	return b.cfg.Retry.Do(ctx, isTransient, fn)
}

// wrap adds the bucket, operation and key to err and maps S3's "no such
// key" to core.ErrNotFound.
func (b *Bucket) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if isNotFound(err) {
		return fmt.Errorf("%s: %s %s: %w: %w", b, op, key, core.ErrNotFound, err)
	}
	return fmt.Errorf("%s: %s %s: %w", b, op, key, err)
}

// errorResponse extracts the S3 error answer from err.
func errorResponse(err error) (minio.ErrorResponse, bool) {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er, true
	}
	var per *minio.ErrorResponse
	if errors.As(err, &per) && per != nil {
		return *per, true
	}
	return er, false
}

// isNotFound reports whether err is S3's answer for a missing key.
func isNotFound(err error) bool {
	er, ok := errorResponse(err)
	return ok && (er.Code == "NoSuchKey" || er.Code == "NotFound" ||
		(er.StatusCode == http.StatusNotFound && er.Code != "NoSuchBucket"))
}

// isPreconditionFailed reports whether err is a 412 answer.
func isPreconditionFailed(err error) bool {
	er, ok := errorResponse(err)
	return ok && (er.StatusCode == http.StatusPreconditionFailed || er.Code == "PreconditionFailed")
}

// isInvalidRange reports whether err is a 416 answer.
func isInvalidRange(err error) bool {
	er, ok := errorResponse(err)
	return ok && (er.StatusCode == http.StatusRequestedRangeNotSatisfiable || er.Code == "InvalidRange")
}

// isTransient reports whether err is worth retrying: a 5xx, 408 or 429
// answer, a throttling, timeout or short-body code, or a network failure.
// Other S3 answers (4xx) are final.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if er, ok := errorResponse(err); ok && (er.StatusCode != 0 || er.Code != "") {
		switch er.Code {
		case "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError",
			"ServiceUnavailable", "XMinioServerNotInitialized", "XMinioReadQuorum",
			"XMinioWriteQuorum",
			// The body arrived short: a network fault, and the spooled
			// upload can be sent again.
			"IncompleteBody":
			return true
		}
		return er.StatusCode >= 500 || er.StatusCode == http.StatusRequestTimeout ||
			er.StatusCode == http.StatusTooManyRequests
	}
	return core.IsTransientNetError(err)
}
