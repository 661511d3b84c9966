package split

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/bits"
	"strings"

	"github.com/quarrydata/quarry/storage/objstore"
)

// Source is what splitting needs from an object store; objstore.Bucket
// satisfies it.
type Source interface {
	// GetRange returns length bytes (-1: all) from offset off.
	GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)
	// Attributes returns the object's size and other attributes.
	Attributes(ctx context.Context, key string) (objstore.Attributes, error)
}

// Split is a byte range [Start, End) of an object of Size bytes.
type Split struct {
	// Index numbers the splits of one object from 0.
	Index int
	// Start and End delimit the bytes whose records the split owns.
	Start, End int64
	// Size is the whole object's size.
	Size int64
	// Gzip marks the single split of a gzip-compressed object: it is read
	// whole through a decompressor and Start and End are ignored.
	Gzip bool
}

// OwnsHeader reports whether the split holds the object's first record
// (a CSV header, where there is one).
func (s Split) OwnsHeader() bool { return s.Start == 0 }

// String shows the split as "#i [start,end)/size".
func (s Split) String() string {
	g := ""
	if s.Gzip {
		g = " gzip"
	}
	return fmt.Sprintf("#%d [%d,%d)/%d%s", s.Index, s.Start, s.End, s.Size, g)
}

// Plan cuts an object of size bytes into ceil(size/target) splits of nearly
// equal length (they differ by at most one byte), covering [0, size)
// without gaps. A target of 0 or less, or one at least size, gives a single
// split; an empty object gets one empty split, so that every object has a
// split 0.
func Plan(size, target int64) []Split {
	if size <= 0 {
		return []Split{{Index: 0, Start: 0, End: 0, Size: max(size, 0)}}
	}
	if target <= 0 || target >= size {
		return []Split{{Index: 0, Start: 0, End: size, Size: size}}
	}
	n := (size + target - 1) / target
	splits := make([]Split, n)
	for i := range n {
		splits[i] = Split{Index: int(i), Start: cut(size, i, n), End: cut(size, i+1, n), Size: size}
	}
	return splits
}

// cut returns floor(size*i/n) without overflowing.
func cut(size, i, n int64) int64 {
	hi, lo := bits.Mul64(uint64(size), uint64(i))
	q, _ := bits.Div64(hi, lo, uint64(n))
	return int64(q)
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// PlanObject plans the splits of the object under key: Plan over its size,
// or a single Gzip split when the key ends in ".gz" or the object starts
// with the gzip magic bytes.
func PlanObject(ctx context.Context, src Source, key string, target int64) ([]Split, error) {
	a, err := src.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	gz, err := isGzip(ctx, src, key, a.Size)
	if err != nil {
		return nil, err
	}
	if gz {
		return []Split{{Index: 0, Start: 0, End: a.Size, Size: a.Size, Gzip: true}}, nil
	}
	return Plan(a.Size, target), nil
}

// isGzip sniffs the object's name and first two bytes.
func isGzip(ctx context.Context, src Source, key string, size int64) (bool, error) {
	if strings.HasSuffix(strings.ToLower(key), ".gz") {
		return true, nil
	}
	if size < 2 {
		return false, nil
	}
	rc, err := src.GetRange(ctx, key, 0, 2)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	var head [2]byte
	if _, err := io.ReadFull(rc, head[:]); err != nil {
		return false, fmt.Errorf("split: sniff %s: %w", key, err)
	}
	return bytes.Equal(head[:], gzipMagic), nil
}
