package objstore_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

func TestOpenLocal(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	tests := []struct{ name, url, dir string }{
		{"absolute path", filepath.Join(dir, "a"), filepath.Join(dir, "a")},
		{"file URL", "file://" + filepath.Join(dir, "b"), filepath.Join(dir, "b")},
		{"file URL localhost", "file://localhost" + filepath.Join(dir, "c"), filepath.Join(dir, "c")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := objstore.Open(ctx, tc.url, objstore.DefaultOpenOptions())
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.url, err)
			}
			if err := b.Upload(ctx, "k", strings.NewReader("v")); err != nil {
				t.Fatal(err)
			}
			want := "file://" + tc.dir
			if got := b.String(); got != want {
				t.Errorf("Open(%q).String(): got %q; want %q", tc.url, got, want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	for _, u := range []string{"", "gs://bucket/x", "file://otherhost/x", "s3://user:pass@bucket/x", "file://"} {
		if _, err := objstore.Open(context.Background(), u, objstore.DefaultOpenOptions()); err == nil {
			t.Errorf("Open(%q): got nil error; want a refusal", u)
		} else if strings.Contains(err.Error(), "pass") {
			t.Errorf("Open(%q): error shows the password: %v", u, err)
		}
	}
}

func TestOpenS3(t *testing.T) {
	srv := miniotest.Start(t)
	opts := objstore.OpenOptions{S3: s3.FromEnv(func(k string) string {
		return map[string]string{
			"AWS_ACCESS_KEY_ID":     srv.AccessKey,
			"AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		}[k]
	})}
	ctx := context.Background()
	b, err := objstore.Open(ctx, "s3://"+srv.Bucket+"/some/prefix?endpoint="+srv.Endpoint+"&insecure=true", opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := b.Upload(ctx, "k", bytes.NewReader([]byte("v"))); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client(t).StatObject(ctx, srv.Bucket, "some/prefix/k", minio.StatObjectOptions{}); err != nil {
		t.Errorf("object not under the URL's prefix: %v", err)
	}
	if _, err := objstore.Open(ctx, "s3://no-such-bucket/x?endpoint="+srv.Endpoint+"&insecure=true", opts); err == nil {
		t.Errorf("Open of a missing bucket: got nil error")
	}
}
