package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Iter calls fn for every key starting with prefix, in ascending byte
// order. Temporary files of unfinished writes are skipped.
func (b *Bucket) Iter(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := core.ValidatePrefix(prefix); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
	}
	var keys []string
	err := fs.WalkDir(b.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == "." || p == start {
				return nil
			}
			// Descend only where keys with the prefix can live.
			if !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(p, prefix) && !core.IsTempKey(p) {
			keys = append(keys, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: list %q: %w", b, prefix, err)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(path.Clean(k)); err != nil {
			return err
		}
	}
	return nil
}
