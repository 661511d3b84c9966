package core

import (
	"context"
	"errors"
	"io"
	"time"
)

// Named errors returned (wrapped) by every backend.
var (
	// ErrNotFound reports that the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrExists reports that PublishIfAbsent found the key already taken.
	ErrExists = errors.New("object already exists")
	// ErrInvalidKey reports a key that is empty, absolute, not clean or
	// otherwise unusable.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrInvalidRange reports a negative offset or a length below -1.
	ErrInvalidRange = errors.New("invalid byte range")
	// ErrChecksum reports that the bytes read do not match the checksum
	// stored with the object.
	ErrChecksum = errors.New("object checksum mismatch")
)

// IsNotFound reports whether err says that an object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsExists reports whether err says that PublishIfAbsent lost to an existing
// object.
func IsExists(err error) bool { return errors.Is(err, ErrExists) }

// Attributes describe a stored object.
type Attributes struct {
	// Size is the object's length in bytes.
	Size int64
	// ModTime is when the object was last written.
	ModTime time.Time
	// ETag is an opaque version tag: it changes whenever the content does.
	ETag string
	// SHA256 is the lowercase hex SHA-256 of the content, computed when the
	// object was written through this package; "" when it is unknown (an
	// object written by another tool).
	SHA256 string
}

// Bucket is a flat namespace of objects addressed by slash-separated keys.
// Every method takes a context first and honours its cancellation. Keys are
// relative ("a/b/c"): no leading or trailing slash, no empty, "." or ".."
// segments, no backslashes or NUL bytes; see ValidateKey.
//
// Writes are atomic in every backend: a concurrent reader sees either the
// previous object (or none) or the complete new one, never a partial object,
// and a write that fails or is cancelled leaves the key as it was.
type Bucket interface {
	// Get returns the whole object. When the object carries a SHA-256 the
	// reader verifies it and returns an error wrapping ErrChecksum instead
	// of io.EOF on a mismatch. The caller must Close the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// GetRange returns length bytes from offset off, or everything from off
	// when length is -1. A range that runs past the end is cut short; an
	// offset at or beyond the end yields an empty reader. Missing objects
	// give ErrNotFound, bad ranges ErrInvalidRange.
	GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)

	// Attributes returns the object's size, modification time, ETag and
	// checksum, or an error wrapping ErrNotFound.
	Attributes(ctx context.Context, key string) (Attributes, error)

	// Exists reports whether the object exists.
	Exists(ctx context.Context, key string) (bool, error)

	// Iter calls fn for every key that starts with prefix (a plain string
	// prefix, recursive: "a/" lists everything below a/), in ascending
	// byte order. An error from fn stops the walk and is returned.
	Iter(ctx context.Context, prefix string, fn func(key string) error) error

	// Upload stores the bytes read from r (of any, unknown, length) under
	// key, replacing any previous object. The checksum is computed on the
	// way and stored with the object.
	Upload(ctx context.Context, key string, r io.Reader) error

	// Publish is Upload with the atomicity guarantee spelled out: the bytes
	// go to a temporary place first and are moved into place only once
	// complete, so readers never observe a half-written object.
	Publish(ctx context.Context, key string, r io.Reader) error

	// PublishIfAbsent publishes like Publish but only if key does not exist
	// yet; otherwise it returns an error wrapping ErrExists and leaves the
	// existing object untouched. Of several concurrent callers exactly one
	// succeeds.
	PublishIfAbsent(ctx context.Context, key string, r io.Reader) error

	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error

	// String names the bucket for logs ("file:///data", "s3://b/prefix");
	// it never includes credentials.
	String() string
}

// CheckRange validates a GetRange offset and length.
func CheckRange(off, length int64) error {
	if off < 0 || length < -1 {
		return ErrInvalidRange
	}
	return nil
}
