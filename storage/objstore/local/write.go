package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Upload stores r under key, replacing any previous object, atomically.
func (b *Bucket) Upload(ctx context.Context, key string, r io.Reader) error {
	return b.write(ctx, key, r, false)
}

// Publish stores r under key atomically: temporary file, fsync, rename.
func (b *Bucket) Publish(ctx context.Context, key string, r io.Reader) error {
	return b.write(ctx, key, r, false)
}

// PublishIfAbsent stores r under key unless the key exists, in which case it
// returns an error wrapping core.ErrExists. The final step is a hard link,
// which the kernel refuses atomically if the name is taken.
func (b *Bucket) PublishIfAbsent(ctx context.Context, key string, r io.Reader) error {
	return b.write(ctx, key, r, true)
}

// write copies r into a temporary file next to key and moves it into place.
func (b *Bucket) write(ctx context.Context, key string, r io.Reader, ifAbsent bool) (err error) {
	if err := core.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := path.Dir(key)
	if dir != "." {
		if err := b.root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
			return b.wrap(key, err)
		}
	}
	tmp, f, err := b.createTemp(dir)
	if err != nil {
		return b.wrap(key, err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil || ifAbsent {
			// On failure the temporary goes; after a successful link its
			// name is redundant.
			if rerr := b.root.Remove(tmp); rerr != nil && err == nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = b.wrap(key, rerr)
			}
		}
	}()

	hr := core.NewHashReader(core.ContextReader(ctx, r))
	if _, err := io.Copy(f, hr); err != nil {
		return fmt.Errorf("%s: upload %s: %w", b, key, err)
	}
	setSHA256(f, hr.SHA256())
	if err := f.Sync(); err != nil {
		return b.wrap(key, err)
	}
	cerr := f.Close()
	f = nil
	if cerr != nil {
		return b.wrap(key, cerr)
	}
	// Last chance to honour a cancellation before the object becomes visible.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: upload %s: %w", b, key, err)
	}

	target := filepath.FromSlash(key)
	if ifAbsent {
		if err := b.root.Link(tmp, target); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %s: %w", b, key, core.ErrExists)
			}
			return b.wrap(key, err)
		}
	} else if err := b.root.Rename(tmp, target); err != nil {
		return b.wrap(key, err)
	}
	return b.syncDir(dir)
}

// createTemp creates a new temporary file in dir (a slash path relative to
// the root) and returns its root-relative name.
func (b *Bucket) createTemp(dir string) (string, *os.File, error) {
	for range 10 {
		var rnd [12]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return "", nil, err
		}
		name := filepath.FromSlash(path.Join(dir, core.TempMarker+hex.EncodeToString(rnd[:])))
		f, err := b.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("cannot create a unique temporary file")
}

// syncDir fsyncs the directory dir so that a rename or link in it is
// durable.
func (b *Bucket) syncDir(dir string) error {
	d, err := b.root.Open(filepath.FromSlash(dir))
	if err != nil {
		return fmt.Errorf("%s: sync %s: %w", b, dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("%s: sync %s: %w", b, dir, err)
	}
	return nil
}

// Delete removes the object; a missing object is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := core.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name := filepath.FromSlash(key)
	st, err := b.root.Lstat(name)
	if err != nil {
		if core.IsNotFound(b.wrap(key, err)) {
			return nil
		}
		return b.wrap(key, err)
	}
	if st.IsDir() {
		return nil // a directory is not an object
	}
	if err := b.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return b.wrap(key, err)
	}
	return nil
}
