package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// hashRule describes the partitioning in the manifest.
func hashRule(k Kind) string {
	if k == KindLog {
		return "fnv1a64(customer id) mod P; rows without a customer: fnv1a64(order id) mod P"
	}
	return "round robin: record g (0-based, in source order) in partition g mod P"
}

// writeObject uploads data under key and returns its reference.
func writeObject(ctx context.Context, store objstore.Bucket, key string, data []byte) (ObjectRef, error) {
	sum := sha256.Sum256(data)
	if err := store.Upload(ctx, key, bytes.NewReader(data)); err != nil {
		return ObjectRef{}, fmt.Errorf("dataset: write %s: %w", key, err)
	}
	return ObjectRef{Key: key, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// written collects the keys an import has written, for cleanup.
type written struct {
	mu   sync.Mutex
	keys []string
}

func (w *written) add(k string) {
	w.mu.Lock()
	w.keys = append(w.keys, k)
	w.mu.Unlock()
}

// ingest parses the sources, writes the partitions of a new segment and
// publishes a manifest on top of base (nil for a fresh import).
func ingest(ctx context.Context, store objstore.Bucket, name string, srcs []SourceObject, opt Options, base *Manifest) (m *Manifest, err error) {
	log := opt.Logger.With("component", "dataset", "dataset", name)
	splits, infos, spec, err := ParseSources(ctx, srcs, opt)
	if err != nil {
		return nil, err
	}
	var baseItems []Item
	var baseCats []string
	if base != nil {
		if baseItems, err = loadItems(ctx, store, base); err != nil {
			return nil, err
		}
		baseCats = base.Categories
	}
	merged := Merge(splits, baseItems, baseCats, spec)
	splits = nil
	if merged.Counts.Records == 0 {
		urls := make([]string, len(infos))
		for i, s := range infos {
			urls[i] = s.URL
		}
		return nil, fmt.Errorf("dataset %s: %s: %w (%d lines read, %d skipped): nothing published",
			name, strings.Join(urls, ", "), ErrNoRecords, merged.Counts.Lines, merged.Counts.Skipped)
	}
	log.Debug("parsed", "records", merged.Counts.Records, "items", len(merged.Items))

	now := opt.Now().UTC()
	prefix := objectsPrefix(name) + newImportID(now) + "/"
	var w written
	defer func() {
		if err != nil {
			cleanup(ctx, store, w.keys, log)
		}
	}()

	segment := 0
	if base != nil {
		segment = len(base.Segments)
	}
	parts, err := writePartitions(ctx, store, merged, prefix, segment, opt.Workers, &w)
	if err != nil {
		return nil, err
	}
	write := func(ctx context.Context, key string, data []byte) (ObjectRef, error) {
		w.add(key)
		return writeObject(ctx, store, key, data)
	}
	v := NewVersion{Name: name, Prefix: prefix, Created: now, Sources: infos, Partitions: parts, Base: base, InlineItems: opt.InlineItems}
	if m, err = merged.assemble(ctx, v, write); err != nil {
		return nil, err
	}
	if err := publish(ctx, store, m, base); err != nil {
		return nil, err
	}
	log.Info("published dataset version", "version", m.Version, "records", m.Counts.Records, "partitions", len(parts))
	return m, nil
}

// writePartitions builds, encodes and uploads the P partitions of a segment
// with the given number of workers.
func writePartitions(ctx context.Context, store objstore.Bucket, merged *Merged, prefix string, segment, workers int, w *written) ([]PartitionRef, error) {
	P := merged.spec.Partitions
	parts := make([]PartitionRef, P)
	errs := make([]error, P)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, P) {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= P || ctx.Err() != nil {
					return
				}
				p := merged.Build(b)
				records, orders, rows, customers := partitionCounts(p)
				key := partitionKey(prefix, segment, b)
				w.add(key)
				ref, err := writeObject(ctx, store, key, Encode(p))
				if err != nil {
					errs[b] = err
					return
				}
				parts[b] = PartitionRef{ObjectRef: ref, Segment: segment, Index: b, Records: records, Orders: orders, Rows: rows, Customers: customers}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return parts, nil
}

func countCustomers(parts []PartitionRef) int {
	n := 0
	for _, p := range parts {
		n += p.Customers
	}
	return n
}

// quarantineLine is one line of the quarantine object.
type quarantineLine struct {
	Object string `json:"object"`
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Text   string `json:"text"`
}

// quarantineBytes encodes the samples of skipped lines (at most
// Spec.MaxSamples, in source order) as JSON Lines and returns how many it
// holds.
func quarantineBytes(samples []*format.LineError) ([]byte, int, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, le := range samples {
		if err := enc.Encode(quarantineLine{Object: le.Object, Line: le.Line, Field: le.Field, Reason: le.Reason, Text: le.Text}); err != nil {
			return nil, 0, err
		}
	}
	return buf.Bytes(), len(samples), nil
}

func unionRange(a, b *TimeRange) *TimeRange {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	r := *a
	if b.Min.Before(r.Min) {
		r.Min = b.Min
	}
	if b.Max.After(r.Max) {
		r.Max = b.Max
	}
	return &r
}

// publish writes the manifest create-only under the next version number.
// A fresh import that loses a race takes the following number; an append
// fails with ErrConflict, since its base is no longer the latest version.
func publish(ctx context.Context, store objstore.Bucket, m *Manifest, base *Manifest) error {
	for range maxPublishAttempts {
		versions, err := Versions(ctx, store, m.Name)
		if err != nil {
			return err
		}
		latest := 0
		if len(versions) > 0 {
			latest = versions[len(versions)-1]
		}
		if base != nil && latest != base.Version {
			return fmt.Errorf("dataset %s: version %d appeared after v%d: %w", m.Name, latest, base.Version, ErrConflict)
		}
		m.Version = latest + 1
		m.Segments[len(m.Segments)-1].Version = m.Version
		data, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		err = store.PublishIfAbsent(ctx, ManifestKey(m.Name, m.Version), bytes.NewReader(append(data, '\n')))
		if err == nil {
			return nil
		}
		if !objstore.IsExists(err) {
			if published(ctx, store, m) {
				return nil // the write went through before the error
			}
			return fmt.Errorf("dataset: publish %s v%d: %w", m.Name, m.Version, err)
		}
		if base != nil {
			return fmt.Errorf("dataset %s: v%d was published concurrently: %w", m.Name, m.Version, ErrConflict)
		}
	}
	return fmt.Errorf("dataset %s: gave up publishing after %d concurrent versions", m.Name, maxPublishAttempts)
}

// published reports whether m's manifest is in the store after all, as
// when a create-only write succeeds but its response is lost: then the
// import must not delete its objects.
func published(ctx context.Context, store objstore.Bucket, m *Manifest) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	got, err := LoadManifest(ctx, store, m.Name, m.Version)
	if err != nil || len(got.Partitions) == 0 {
		return false
	}
	return got.Partitions[len(got.Partitions)-1].Key == m.Partitions[len(m.Partitions)-1].Key
}
