package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/quarrydata/quarry/storage/objstore"
)

// NewVersion describes a dataset version to assemble from a merged
// import whose partitions are already written (see Merged.Assemble).
type NewVersion struct {
	// Name is the dataset's name.
	Name string
	// Prefix is where the version's own objects live (ObjectsPrefix):
	// the quarantine and dictionary objects are written there.
	Prefix string
	// Created stamps the manifest.
	Created time.Time
	// Sources are the raw objects read, in order.
	Sources []Source
	// Partitions are the new segment's partition objects, bucket by bucket.
	Partitions []PartitionRef
	// Base is the version appended to, nil for an import.
	Base *Manifest
	// InlineItems is the largest dictionary kept inside the manifest
	// (default 1000 items).
	InlineItems int
}

// writeFunc writes an object of a new version and returns its reference.
type writeFunc func(ctx context.Context, key string, data []byte) (ObjectRef, error)

// Assemble writes the quarantine object of the new segment (when lines
// were skipped) and the dictionary object (when the dictionary has more
// than v.InlineItems items) under v.Prefix, create-only (WriteOnce), and
// returns the new version's manifest as Import builds it. Its Version is
// still 0: PublishOnce picks the number.
func (m *Merged) Assemble(ctx context.Context, store objstore.Bucket, v NewVersion) (*Manifest, error) {
	if v.InlineItems <= 0 {
		v.InlineItems = 1000
	}
	return m.assemble(ctx, v, func(ctx context.Context, key string, data []byte) (ObjectRef, error) {
		return WriteOnce(ctx, store, key, data)
	})
}

// assemble builds the manifest of a new version from the merged import,
// its partitions and base, writing the quarantine and a large dictionary
// with write.
func (m *Merged) assemble(ctx context.Context, v NewVersion, write writeFunc) (*Manifest, error) {
	spec, base := m.spec, v.Base
	seg := Segment{Sources: v.Sources, Counts: m.Counts}
	if base != nil {
		seg.ID = len(base.Segments)
	}
	for _, p := range v.Partitions {
		seg.Counts.Orders += p.Orders
	}
	seg.Counts.Customers = countCustomers(v.Partitions)
	data, n, err := quarantineBytes(m.samples)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		ref, err := write(ctx, v.Prefix+"quarantine.jsonl", data)
		if err != nil {
			return nil, err
		}
		seg.Quarantine = &Quarantine{ObjectRef: ref, Samples: n}
	}

	man := &Manifest{
		Format:       ManifestFormat,
		Name:         v.Name,
		Created:      v.Created,
		Kind:         spec.kind(),
		Partitioning: Partitioning{Partitions: spec.Partitions, Rule: hashRule(spec.kind())},
		Import: Params{Format: spec.Format.String(), TimeLayout: spec.TimeLayout, CancelPrefix: spec.CancelPrefix,
			SkipBadLines: spec.SkipBadLines, MaxLineBytes: spec.MaxLineBytes},
		NumItems:   len(m.Items),
		Categories: m.Categories,
		TimeRange:  m.TimeRange,
	}
	if spec.kind() == KindLog {
		man.Import.Columns = Columns(spec.Columns)
		man.Import.NoHeader = spec.NoHeader
	} else {
		man.Import.CancelPrefix, man.Import.TimeLayout = "", ""
	}
	if base != nil {
		man.Parent = base.Version
		man.Import.SkipBadLines = base.Import.SkipBadLines || spec.SkipBadLines
		man.Segments = slices.Clone(base.Segments)
		man.Partitions = slices.Clone(base.Partitions)
		man.Counts = base.Counts
		man.TimeRange = unionRange(base.TimeRange, m.TimeRange)
	}
	man.Counts.add(seg.Counts)
	man.Segments = append(man.Segments, seg)
	man.Partitions = append(man.Partitions, v.Partitions...)

	switch {
	case len(m.Items) <= v.InlineItems:
		man.Items = m.Items
	case base != nil && base.DictionaryObject != nil && base.NumItems == len(m.Items):
		man.DictionaryObject = base.DictionaryObject // unchanged: share it
	default:
		data, err := json.Marshal(m.Items)
		if err != nil {
			return nil, err
		}
		ref, err := write(ctx, v.Prefix+"dictionary.json", data)
		if err != nil {
			return nil, err
		}
		man.DictionaryObject = &ref
	}
	return man, nil
}

// WriteOnce writes data under key create-only and returns its reference.
// When the key is taken by an object with the same size and SHA-256 (an
// earlier attempt of the same deterministic task wrote it), that is
// success; different content is an error, so a write never replaces what
// a manifest may already reference.
func WriteOnce(ctx context.Context, store objstore.Bucket, key string, data []byte) (ObjectRef, error) {
	sum := sha256.Sum256(data)
	ref := ObjectRef{Key: key, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	err := store.PublishIfAbsent(ctx, key, bytes.NewReader(data))
	if err == nil {
		return ref, nil
	}
	if !objstore.IsExists(err) {
		return ObjectRef{}, fmt.Errorf("dataset: write %s: %w", key, err)
	}
	a, err := store.Attributes(ctx, key)
	if err != nil {
		return ObjectRef{}, fmt.Errorf("dataset: write %s: %w", key, err)
	}
	have := a.SHA256
	if have == "" && a.Size == ref.Size { // written by another tool: hash it
		old, err := objstore.ReadAll(ctx, store, key)
		if err != nil {
			return ObjectRef{}, fmt.Errorf("dataset: write %s: %w", key, err)
		}
		s := sha256.Sum256(old)
		have = hex.EncodeToString(s[:])
	}
	if a.Size != ref.Size || have != ref.SHA256 {
		return ObjectRef{}, fmt.Errorf("dataset: write %s: %w with other content (%d bytes, SHA-256 %s; want %d, %s)",
			key, objstore.ErrExists, a.Size, have, ref.Size, ref.SHA256)
	}
	return ref, nil
}

// PublishOnce publishes m, a manifest assembled from objects under
// prefix, create-only at the next free version, like Import; a fresh
// import that loses a race takes the following number, an append (base
// not nil) fails with ErrConflict when base is no longer the latest.
// Unlike Import it is idempotent: when a version above after (the latest
// version when the import started) already references the partitions of
// m, an earlier attempt published it, and that version's manifest is
// returned instead of publishing a second one.
func PublishOnce(ctx context.Context, store objstore.Bucket, m *Manifest, base *Manifest, after int) (*Manifest, error) {
	if len(m.Partitions) == 0 || len(m.Segments) == 0 {
		return nil, fmt.Errorf("dataset %s: a manifest without partitions", m.Name)
	}
	mine := m.Partitions[len(m.Partitions)-1].Key
	for range maxPublishAttempts {
		versions, err := Versions(ctx, store, m.Name)
		if err != nil {
			return nil, err
		}
		for _, v := range slices.Backward(versions) {
			if v <= after {
				break
			}
			got, err := LoadManifest(ctx, store, m.Name, v)
			if err != nil {
				return nil, err
			}
			if n := len(got.Partitions); n > 0 && got.Partitions[n-1].Key == mine {
				return got, nil
			}
		}
		latest := 0
		if len(versions) > 0 {
			latest = versions[len(versions)-1]
		}
		if base != nil && latest != base.Version {
			return nil, fmt.Errorf("dataset %s: version %d appeared after v%d: %w", m.Name, latest, base.Version, ErrConflict)
		}
		m.Version = latest + 1
		m.Segments[len(m.Segments)-1].Version = m.Version
		data, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return nil, err
		}
		err = store.PublishIfAbsent(ctx, ManifestKey(m.Name, m.Version), bytes.NewReader(append(data, '\n')))
		if err == nil {
			return m, nil
		}
		if !objstore.IsExists(err) {
			return nil, fmt.Errorf("dataset: publish %s v%d: %w", m.Name, m.Version, err)
		}
		// Taken: by this import's other attempt (found above on the next
		// round) or by another import (take the next number).
	}
	return nil, fmt.Errorf("dataset %s: gave up publishing after %d concurrent versions", m.Name, maxPublishAttempts)
}

// ObjectsPrefix returns the prefix of the objects of one import of
// dataset name, id naming the import (a distributed import uses its job).
func ObjectsPrefix(name, id string) string { return objectsPrefix(name) + id + "/" }

// PartitionKey returns the key of the partition of a segment's hash bucket
// under an import's prefix.
func PartitionKey(prefix string, segment, bucket int) string {
	return partitionKey(prefix, segment, bucket)
}

// Kind returns the kind of dataset the spec's format makes.
func (s Spec) Kind() Kind { return s.kind() }

// CollectUnpublished deletes the objects under prefix, the objects prefix
// of one import of dataset name (ObjectsPrefix), that no published version
// references and that are not in keep, and returns their keys: what a
// failed or cancelled distributed import leaves behind.
func CollectUnpublished(ctx context.Context, store objstore.Bucket, name, prefix string, keep []string) ([]string, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if len(prefix) <= len(objectsPrefix(name)) || prefix[:len(objectsPrefix(name))] != objectsPrefix(name) || prefix[len(prefix)-1] != '/' {
		return nil, fmt.Errorf("dataset: %q is not an import prefix of %s", prefix, name)
	}
	keys, err := objstore.List(ctx, store, prefix)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	vs, err := Versions(ctx, store, name)
	if err != nil {
		return nil, err
	}
	refs, err := referenced(ctx, store, name, vs)
	if err != nil {
		return nil, err
	}
	for _, k := range keep {
		refs[k] = true
	}
	var removed []string
	for _, k := range keys {
		if refs[k] {
			continue
		}
		if err := store.Delete(ctx, k); err != nil {
			return removed, fmt.Errorf("dataset: delete %s: %w", k, err)
		}
		removed = append(removed, k)
	}
	return removed, nil
}
