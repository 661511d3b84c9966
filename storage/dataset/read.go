package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// Dataset is an opened dataset version: its manifest and the store to read
// its partitions from. It is safe for concurrent use.
type Dataset struct {
	// Manifest is the version's manifest; do not modify it.
	Manifest *Manifest
	store    objstore.Bucket

	once  sync.Once
	items []Item
	err   error
}

// Open opens a version of dataset name (the latest when version is 0).
func Open(ctx context.Context, store objstore.Bucket, name string, version int) (*Dataset, error) {
	m, err := LoadManifest(ctx, store, name, version)
	if err != nil {
		return nil, err
	}
	return &Dataset{Manifest: m, store: store}, nil
}

// Items returns the item dictionary, indexed by item id (reading the
// dictionary object on first use when it is stored apart).
func (d *Dataset) Items(ctx context.Context) ([]Item, error) {
	d.once.Do(func() { d.items, d.err = loadItems(ctx, d.store, d.Manifest) })
	return d.items, d.err
}

// Dictionary returns the item dictionary as a format.Dictionary, whose ids
// are the dataset's item ids, for writing results with item names.
func (d *Dataset) Dictionary(ctx context.Context) (*format.Dictionary, error) {
	items, err := d.Items(ctx)
	if err != nil {
		return nil, err
	}
	dict := format.NewDictionary()
	for _, it := range items {
		dict.ID(it.Name, it.Description)
	}
	return dict, nil
}

// maxObject bounds the size of an object read whole (4 GiB).
const maxObject = 4 << 30

// readRef reads an object and checks its size and SHA-256 against ref.
func readRef(ctx context.Context, store objstore.Bucket, ref ObjectRef) ([]byte, error) {
	// GetRange rather than Get: the SHA-256 is checked here, once, against
	// the manifest, and the buffer is allocated once at the known size.
	rc, err := store.GetRange(ctx, ref.Key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("dataset: read %s: %w", ref.Key, err)
	}
	defer rc.Close()
	if ref.Size < 0 || ref.Size > maxObject {
		return nil, fmt.Errorf("dataset: %s: manifest size %d out of range", ref.Key, ref.Size)
	}
	data := make([]byte, ref.Size)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, fmt.Errorf("dataset: read %s: %w (%d bytes expected)", ref.Key, err, ref.Size)
	}
	if n, _ := rc.Read(make([]byte, 1)); n > 0 {
		return nil, fmt.Errorf("dataset: %s: %w: longer than the manifest's %d bytes", ref.Key, ErrCorrupt, ref.Size)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != ref.SHA256 {
		return nil, fmt.Errorf("dataset: %s: %w: SHA-256 %s, manifest says %s", ref.Key, ErrCorrupt, got, ref.SHA256)
	}
	return data, nil
}

// ReadRaw returns the verified bytes of partition i (an index into
// Manifest.Partitions).
func (d *Dataset) ReadRaw(ctx context.Context, i int) ([]byte, error) {
	if i < 0 || i >= len(d.Manifest.Partitions) {
		return nil, fmt.Errorf("dataset %s v%d: no partition %d (it has %d)", d.Manifest.Name, d.Manifest.Version, i, len(d.Manifest.Partitions))
	}
	return readRef(ctx, d.store, d.Manifest.Partitions[i].ObjectRef)
}

// open reads partition i and checks its header against the manifest.
func (d *Dataset) open(ctx context.Context, i int) (header, *cursor, error) {
	data, err := d.ReadRaw(ctx, i)
	if err != nil {
		return header{}, nil, err
	}
	h, c, err := open(data)
	if err != nil {
		return h, nil, fmt.Errorf("dataset: %s: %w", d.Manifest.Partitions[i].Key, err)
	}
	if h.kind != d.Manifest.Kind {
		return h, nil, fmt.Errorf("dataset: %s: %w: kind %s in a %s dataset", d.Manifest.Partitions[i].Key, ErrCorrupt, h.kind, d.Manifest.Kind)
	}
	return h, c, nil
}

// finish wraps a decoding error with the partition's key.
func (d *Dataset) finish(c *cursor, i int) error {
	if err := c.done(); err != nil {
		return fmt.Errorf("dataset: %s: %w", d.Manifest.Partitions[i].Key, err)
	}
	return nil
}

// ReadPartition reads and decodes partition i whole.
func (d *Dataset) ReadPartition(ctx context.Context, i int) (*Partition, error) {
	data, err := d.ReadRaw(ctx, i)
	if err != nil {
		return nil, err
	}
	p, err := Decode(data, d.Manifest.NumItems)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", d.Manifest.Partitions[i].Key, err)
	}
	return p, nil
}
