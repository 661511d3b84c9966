package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/objstoretest"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// config returns a Config for srv with a small part size (so that the
// suite's large objects go multipart) and fast retries.
func config(srv *miniotest.Server, prefix string) s3.Config {
	c := s3.DefaultConfig()
	c.Endpoint = srv.URL()
	c.AccessKey = srv.AccessKey
	c.SecretKey = s3.Secret(srv.SecretKey)
	c.Bucket = srv.Bucket
	c.Prefix = prefix
	c.PartSize = 5 << 20
	c.Retry = objstore.RetryPolicy{MaxAttempts: 4, Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}
	return c
}

func open(t *testing.T, cfg s3.Config) *s3.Bucket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := s3.New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestAcceptance(t *testing.T) {
	srv := miniotest.Start(t)
	n := 0
	objstoretest.Run(t, func(t *testing.T) objstore.Bucket {
		n++ // a fresh prefix per subtest gives an empty bucket
		return open(t, config(srv, fmt.Sprintf("suite-%d/", n)))
	})
}

// TestIfNoneMatchRaw checks the server side of PublishIfAbsent directly with
// minio-go: PutObjectOptions.SetMatchETagExcept("*") sends If-None-Match: *,
// and the pinned MinIO answers 412 for a taken key, for a single PUT and for
// a multipart upload alike.
func TestIfNoneMatchRaw(t *testing.T) {
	srv := miniotest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	for _, size := range []int{10, 6 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			key := fmt.Sprintf("raw-%d", size)
			put := func(fill byte) error {
				opts := minio.PutObjectOptions{PartSize: 5 << 20}
				opts.SetMatchETagExcept("*")
				data := bytes.Repeat([]byte{fill}, size)
				_, err := c.PutObject(ctx, srv.Bucket, key, bytes.NewReader(data), int64(size), opts)
				return err
			}
			if err := put('a'); err != nil {
				t.Fatalf("first create-only PUT: %v", err)
			}
			err := put('b')
			if er := minio.ToErrorResponse(err); er.StatusCode != 412 {
				t.Fatalf("second create-only PUT: got %v (status %d); want 412 Precondition Failed", err, er.StatusCode)
			}
			obj, err := c.GetObject(ctx, srv.Bucket, key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(obj)
			if len(got) != size || got[0] != 'a' || got[size-1] != 'a' {
				t.Errorf("after the refused PUT the object changed")
			}
		})
	}
}

func TestSecretsNotShown(t *testing.T) {
	const secret = "SuperSecretKey123456"
	const token = "SessionTokenABCDEF"
	cfg := s3.DefaultConfig()
	cfg.Endpoint = "http://127.0.0.1:1" // nothing listens: New fails
	cfg.Bucket = "b"
	cfg.AccessKey = "AKIDEXAMPLE"
	cfg.SecretKey = s3.Secret(secret)
	cfg.SessionToken = s3.Secret(token)
	cfg.Retry = objstore.RetryPolicy{MaxAttempts: 2, Initial: time.Millisecond, Max: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s3.New(ctx, cfg)
	if err == nil {
		t.Fatal("New against a closed port: got nil error")
	}
	texts := map[string]string{
		"error": err.Error(),
		"%v":    fmt.Sprintf("%v", cfg),
		"%+v":   fmt.Sprintf("%+v", cfg),
		"%#v":   fmt.Sprintf("%#v", cfg),
		"%s":    fmt.Sprintf("%s", cfg.SecretKey),
		"%q":    fmt.Sprintf("%q", cfg.SecretKey),
		"%x":    fmt.Sprintf("%x", cfg.SecretKey),
		"field": fmt.Sprint(cfg.SecretKey, cfg.SessionToken),
	}
	for what, text := range texts {
		if strings.Contains(text, secret) || strings.Contains(text, token) {
			t.Errorf("%s shows a secret: %s", what, text)
		}
	}
	bad := cfg
	bad.Endpoint = "http://user:" + secret + "@host:9000"
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("endpoint with credentials: got %v; want an error without the secret", err)
	}
}

func TestString(t *testing.T) {
	srv := miniotest.Start(t)
	b := open(t, config(srv, "pre/fix"))
	want := "s3://quarry-test/pre/fix (http://" + srv.Endpoint + ", region us-east-1)"
	if got := b.String(); got != want {
		t.Errorf("String: got %q; want %q", got, want)
	}
	if strings.Contains(b.String(), srv.SecretKey) {
		t.Errorf("String shows the secret key")
	}
}

func TestChecksumDetectsCorruption(t *testing.T) {
	srv := miniotest.Start(t)
	b := open(t, config(srv, ""))
	ctx := context.Background()
	// Another writer replaces the bytes but keeps our checksum metadata.
	opts := minio.PutObjectOptions{UserMetadata: map[string]string{"Quarry-Sha256": strings.Repeat("0", 64)}}
	data := []byte("tampered")
	if _, err := srv.Client(t).PutObject(ctx, srv.Bucket, "k", bytes.NewReader(data), int64(len(data)), opts); err != nil {
		t.Fatal(err)
	}
	_, err := objstore.ReadAll(ctx, b, "k")
	if !errors.Is(err, objstore.ErrChecksum) {
		t.Errorf("reading a tampered object: got %v; want ErrChecksum", err)
	}
	// An object written by another tool without our metadata reads fine.
	if _, err := srv.Client(t).PutObject(ctx, srv.Bucket, "plain", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := objstore.ReadAll(ctx, b, "plain"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("plain object: got %q, %v; want %q", got, err, data)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"AWS_ENDPOINT_URL":      "http://minio:9000",
		"AWS_REGION":            "eu-west-3",
		"MINIO_ROOT_USER":       "root",
		"MINIO_ROOT_PASSWORD":   "rootpass",
		"AWS_SECRET_ACCESS_KEY": "awssecret",
	}
	c := s3.FromEnv(func(k string) string { return env[k] })
	if c.Endpoint != "http://minio:9000" || c.Region != "eu-west-3" || c.AccessKey != "root" || c.SecretKey != "awssecret" {
		t.Errorf("FromEnv: got endpoint %q region %q access %q secret-set %v; want http://minio:9000 eu-west-3 root awssecret",
			c.Endpoint, c.Region, c.AccessKey, c.SecretKey == "awssecret")
	}
}
