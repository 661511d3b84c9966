package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Bucket is a Bucket over a local folder. It is safe for concurrent use.
type Bucket struct {
	dir  string
	root *os.Root
}

// New opens the folder dir as a bucket, creating it if needed.
func New(dir string) (*Bucket, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local bucket %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("local bucket: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("local bucket: %w", err)
	}
	return &Bucket{dir: abs, root: root}, nil
}

// Dir returns the bucket's absolute folder.
func (b *Bucket) Dir() string { return b.dir }

// String returns the bucket as a file:// URL.
func (b *Bucket) String() string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(b.dir)}).String()
}

// Close releases the folder handle. The bucket must not be used afterwards.
func (b *Bucket) Close() error { return b.root.Close() }

// open opens key for reading, mapping a missing file (or a directory) to
// core.ErrNotFound.
func (b *Bucket) open(ctx context.Context, key string) (*os.File, os.FileInfo, error) {
	if err := core.ValidateKey(key); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	f, err := b.root.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, nil, b.wrap(key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, b.wrap(key, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %s: %w", b, key, core.ErrNotFound)
	}
	return f, st, nil
}

// wrap adds the bucket and key to err and maps "does not exist" (and "a
// parent is not a directory") to core.ErrNotFound.
func (b *Bucket) wrap(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s: %s: %w", b, key, core.ErrNotFound)
	}
	return fmt.Errorf("%s: %s: %w", b, key, err)
}

// readCloser joins a reader with the closer of its underlying file.
type readCloser struct {
	io.Reader
	io.Closer
}

// Get returns the whole object, verifying its stored SHA-256 at EOF.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := b.open(ctx, key)
	if err != nil {
		return nil, err
	}
	sum := getSHA256(f)
	rc := readCloser{Reader: core.ContextReader(ctx, f), Closer: f}
	return core.VerifyReader(rc, sum, b.String()+"/"+key), nil
}

// GetRange returns length bytes (-1: all) from offset off.
func (b *Bucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := core.CheckRange(off, length); err != nil {
		return nil, fmt.Errorf("%s: %s: [%d,+%d): %w", b, key, off, length, err)
	}
	f, st, err := b.open(ctx, key)
	if err != nil {
		return nil, err
	}
	if off >= st.Size() || length == 0 {
		f.Close()
		return io.NopCloser(eofReader{}), nil
	}
	var r io.Reader = io.NewSectionReader(f, off, st.Size()-off)
	if length >= 0 {
		r = io.LimitReader(r, length)
	}
	return readCloser{Reader: core.ContextReader(ctx, r), Closer: f}, nil
}

// eofReader is an empty reader.
type eofReader struct{}

// Read implements io.Reader.
func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Attributes returns the object's size, mtime, ETag and SHA-256.
func (b *Bucket) Attributes(ctx context.Context, key string) (core.Attributes, error) {
	f, st, err := b.open(ctx, key)
	if err != nil {
		return core.Attributes{}, err
	}
	defer f.Close()
	a := core.Attributes{Size: st.Size(), ModTime: st.ModTime(), SHA256: getSHA256(f)}
	a.ETag = a.SHA256
	if a.ETag == "" {
		a.ETag = fmt.Sprintf("%x-%x", st.ModTime().UnixNano(), st.Size())
	}
	return a, nil
}

// Exists reports whether the object exists.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	f, _, err := b.open(ctx, key)
	if err != nil {
		if core.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	f.Close()
	return true, nil
}
