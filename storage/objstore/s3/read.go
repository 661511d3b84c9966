package s3

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Get returns the whole object, verifying its stored SHA-256 at EOF.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := core.ValidateKey(key); err != nil {
		return nil, err
	}
	r, info, err := b.open(ctx, key, 0, -1, "")
	if err != nil {
		return nil, err
	}
	return core.VerifyReader(r, info.UserMetadata[core.MetaSHA256], b.String()+" "+key), nil
}

// GetRange returns length bytes (-1: all) from offset off.
func (b *Bucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := core.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := core.CheckRange(off, length); err != nil {
		return nil, fmt.Errorf("%s: %s [%d,+%d): %w", b, key, off, length, err)
	}
	if length == 0 {
		if _, err := b.Attributes(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	r, _, err := b.open(ctx, key, off, length, "")
	if err != nil {
		return nil, err
	}
	return r, nil
}

// open starts a ranged GET (length -1: to the end), retrying transient
// failures, and returns a reader that resumes after mid-stream failures. A
// non-empty etag pins the object version (If-Match).
func (b *Bucket) open(ctx context.Context, key string, off, length int64, etag string) (*reader, minio.ObjectInfo, error) {
	var (
		body io.ReadCloser
		info minio.ObjectInfo
	)
	empty := false
	err := b.retry(ctx, func(int) error {
		var err error
		body, info, empty, err = b.get(ctx, key, off, length, etag)
		return err
	})
	if err != nil {
		return nil, info, b.wrap("get", key, err)
	}
	r := &reader{b: b, ctx: ctx, key: key, etag: info.ETag, pos: off, end: -1, body: body}
	if length >= 0 {
		r.end = off + length
	}
	if empty {
		r.end = off
	}
	return r, info, nil
}

// get makes one GET request. An offset past the end (416) gives an empty
// body.
func (b *Bucket) get(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, minio.ObjectInfo, bool, error) {
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		if err := opts.SetRange(off, off+length-1); err != nil {
			return nil, minio.ObjectInfo{}, false, err
		}
	case off > 0:
		if err := opts.SetRange(off, 0); err != nil {
			return nil, minio.ObjectInfo{}, false, err
		}
	}
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, minio.ObjectInfo{}, false, err
		}
	}
	body, info, _, err := minio.Core{Client: b.client}.GetObject(ctx, b.cfg.Bucket, b.object(key), opts)
	if err != nil {
		if isInvalidRange(err) {
			return io.NopCloser(strings.NewReader("")), info, true, nil
		}
		return nil, info, false, err
	}
	return body, info, false, nil
}

// reader reads a byte range and, when the connection fails mid-stream,
// reopens the rest of the range (same ETag) under the retry policy.
type reader struct {
	b       *Bucket
	ctx     context.Context
	key     string
	etag    string
	pos     int64 // next offset to read
	end     int64 // exclusive end, -1 for the end of the object
	body    io.ReadCloser
	resumes int
}

// Read implements io.Reader.
func (r *reader) Read(p []byte) (int, error) {
	if r.end >= 0 && r.pos >= r.end {
		return 0, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.body.Read(p)
	r.pos += int64(n)
	if err == nil || err == io.EOF {
		return n, err
	}
	if r.ctx.Err() != nil || !isTransient(err) || r.resumes+1 >= r.b.cfg.Retry.MaxAttempts {
		return n, r.b.wrap("read", r.key, err)
	}
	r.resumes++
	if serr := core.Sleep(r.ctx, r.b.cfg.Retry.Backoff(r.resumes)); serr != nil {
		return n, serr
	}
	r.body.Close()
	length := int64(-1)
	if r.end >= 0 {
		length = r.end - r.pos
	}
	nr, _, oerr := r.b.open(r.ctx, r.key, r.pos, length, r.etag)
	if oerr != nil {
		r.body = io.NopCloser(strings.NewReader(""))
		return n, fmt.Errorf("resume after %v: %w", err, oerr)
	}
	r.body = nr.body
	return n, nil
}

// Close implements io.Closer.
func (r *reader) Close() error { return r.body.Close() }

// Attributes returns the object's size, mtime, ETag and SHA-256.
func (b *Bucket) Attributes(ctx context.Context, key string) (core.Attributes, error) {
	if err := core.ValidateKey(key); err != nil {
		return core.Attributes{}, err
	}
	var info minio.ObjectInfo
	err := b.retry(ctx, func(int) error {
		var err error
		info, err = b.client.StatObject(ctx, b.cfg.Bucket, b.object(key), minio.StatObjectOptions{})
		return err
	})
	if err != nil {
		return core.Attributes{}, b.wrap("stat", key, err)
	}
	return core.Attributes{
		Size:    info.Size,
		ModTime: info.LastModified,
		ETag:    info.ETag,
		SHA256:  info.UserMetadata[core.MetaSHA256],
	}, nil
}

// Exists reports whether the object exists.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.Attributes(ctx, key)
	if core.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// Iter calls fn for every key starting with prefix, in ascending byte
// order. A listing interrupted by a transient failure resumes after the
// last key delivered.
func (b *Bucket) Iter(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := core.ValidatePrefix(prefix); err != nil {
		return err
	}
	after := ""
	err := b.retry(ctx, func(int) error {
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		opts := minio.ListObjectsOptions{Prefix: b.object(prefix), Recursive: true, StartAfter: after}
		for obj := range b.client.ListObjects(lctx, b.cfg.Bucket, opts) {
			if obj.Err != nil {
				return obj.Err
			}
			after = obj.Key
			key := strings.TrimPrefix(obj.Key, b.prefix)
			if core.IsTempKey(key) {
				continue
			}
			if err := fn(key); err != nil {
				return &stopError{err}
			}
		}
		return ctx.Err()
	})
	if se, ok := err.(*stopError); ok {
		return se.err
	}
	if err != nil {
		return fmt.Errorf("%s: list %q: %w", b, prefix, err)
	}
	return nil
}

// stopError carries the callback's error out of the retry loop untouched.
type stopError struct{ err error }

// Error implements error.
func (s *stopError) Error() string { return s.err.Error() }
