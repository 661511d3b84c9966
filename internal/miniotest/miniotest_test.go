package miniotest

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := s.Client(t)
	data := []byte("hello minio")
	if _, err := c.PutObject(ctx, s.Bucket, "k", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put: %v", err)
	}
	s.Stop()
	sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := c.StatObject(sctx, s.Bucket, "k", minio.StatObjectOptions{}); err == nil {
		t.Errorf("stat on a stopped server: got nil error; want a connection error")
	}
	scancel()
	s.Restart()
	obj, err := c.GetObject(ctx, s.Bucket, "k", minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("after restart got %q, %v; want %q", got, err, data)
	}
}
