package objstore

import (
	"context"
	"fmt"
	"io"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Bucket is a flat namespace of objects addressed by slash-separated keys;
// see the method documentation in storage/objstore/internal/core (the
// definition re-exported here).
type Bucket = core.Bucket

// Attributes describe a stored object: size, modification time, ETag and
// SHA-256.
type Attributes = core.Attributes

// RetryPolicy bounds the retries of transient failures (attempts and
// exponential back-off with full jitter).
type RetryPolicy = core.RetryPolicy

// Named errors; test for them with errors.Is (or IsNotFound, IsExists).
var (
	// ErrNotFound reports that the object does not exist.
	ErrNotFound = core.ErrNotFound
	// ErrExists reports that PublishIfAbsent found the key taken.
	ErrExists = core.ErrExists
	// ErrInvalidKey reports an unusable key (see ValidateKey).
	ErrInvalidKey = core.ErrInvalidKey
	// ErrInvalidRange reports a negative offset or a length below -1.
	ErrInvalidRange = core.ErrInvalidRange
	// ErrChecksum reports content that does not match its stored SHA-256.
	ErrChecksum = core.ErrChecksum
)

// IsNotFound reports whether err says that an object does not exist.
func IsNotFound(err error) bool { return core.IsNotFound(err) }

// IsExists reports whether err says that PublishIfAbsent found the key
// taken.
func IsExists(err error) bool { return core.IsExists(err) }

// ValidateKey checks that key is a clean relative slash-separated path
// usable by every backend; the error wraps ErrInvalidKey.
func ValidateKey(key string) error { return core.ValidateKey(key) }

// DefaultRetryPolicy returns 5 attempts with back-off from 100 ms to 5 s.
func DefaultRetryPolicy() RetryPolicy { return core.DefaultRetryPolicy() }

// List returns the keys under prefix (recursive, byte order).
func List(ctx context.Context, b Bucket, prefix string) ([]string, error) {
	var keys []string
	err := b.Iter(ctx, prefix, func(k string) error {
		keys = append(keys, k)
		return nil
	})
	return keys, err
}

// ReadAll returns the whole object under key, verified against its stored
// checksum.
func ReadAll(ctx context.Context, b Bucket, key string) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}
