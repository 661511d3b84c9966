package dataset

import (
	"context"
	"fmt"
	"time"

	"github.com/quarrydata/quarry/storage/split"
)

// ShuffledSplit names the split object (EncodeShuffle) of one parsed
// split of a distributed import and the source object it came from.
type ShuffledSplit struct {
	// Key is the split object's key.
	Key string
	// Source numbers the source objects of the import from 0; the splits
	// of one source are consecutive and in order.
	Source int
	// URL names the source in the quarantine and errors.
	URL string
}

// MergeShuffled reads the heads of the split objects (every split of
// every source, in order) and merges their dictionaries as Merge does,
// with the samples of skipped lines placed in their source objects as
// ParseSources places them. The result knows where each split object's
// sections are: EncodePlan carries that to the build tasks.
func MergeShuffled(ctx context.Context, src split.Source, splits []ShuffledSplit, baseItems []Item, baseCats []string, spec Spec) (*Merged, error) {
	spec = spec.withDefaults()
	heads := make([]*SplitRows, len(splits))
	sections := make([][]int64, len(splits))
	linesBefore := 0
	for i, s := range splits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		offs, err := readIndex(ctx, src, s.Key, shuffleSplit, 1+spec.Partitions)
		if err != nil {
			return nil, err
		}
		data, err := readSection(ctx, src, s.Key, offs[0], offs[1])
		if err != nil {
			return nil, err
		}
		h, err := decodeHead(data)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: head: %w", s.Key, err)
		}
		if i > 0 && splits[i-1].Source != s.Source {
			linesBefore = 0
		}
		for _, le := range h.Stats.Samples {
			le.Object = s.URL
			le.Line = h.AbsLine(le.Line, linesBefore)
		}
		linesBefore += h.Lines
		heads[i], sections[i] = h, offs[1:]
	}
	m := Merge(heads, baseItems, baseCats, spec)
	m.splits, m.sections = nil, sections
	return m, nil
}

// EncodePlan encodes what the build and publish tasks of a distributed
// import need of a merge (MergeShuffled): section 0 holds, per split, the
// item and category maps, the index of its first record and where its
// sections are; section 1 the dictionary, categories, counts, time range
// and samples of skipped lines.
func (m *Merged) EncodePlan() []byte {
	b := &encoder{}
	b.uvarint(uint64(len(m.remap)))
	for k := range m.remap {
		b.list(m.remap[k])
		b.uvarint(uint64(len(m.catMap[k])))
		for _, c := range m.catMap[k] {
			b.uvarint(uint64(c))
		}
		b.uvarint(uint64(m.offset[k]))
		b.uvarint(uint64(len(m.sections[k])))
		prev := int64(0)
		for _, o := range m.sections[k] {
			b.uvarint(uint64(o - prev))
			prev = o
		}
	}
	p := &encoder{}
	p.uvarint(uint64(len(m.Items)))
	for _, it := range m.Items {
		p.str(it.Name)
		p.str(it.Description)
	}
	p.uvarint(uint64(len(m.Categories)))
	for _, c := range m.Categories {
		p.str(c)
	}
	encodeCounts(p, m.Counts)
	if m.TimeRange != nil {
		p.uvarint(1)
		p.varint(m.TimeRange.Min.UnixNano())
		p.varint(m.TimeRange.Max.UnixNano())
	} else {
		p.uvarint(0)
	}
	encodeSamples(p, m.samples)
	return encodeSections(shufflePlan, [][]byte{b.b, p.b})
}

// ReadBuildPlan reads the part of a plan object (EncodePlan) that build
// tasks need; spec must be the import's.
func ReadBuildPlan(ctx context.Context, src split.Source, key string, spec Spec) (*Merged, error) {
	spec = spec.withDefaults()
	data, err := readPlanSection(ctx, src, key, 0)
	if err != nil {
		return nil, err
	}
	m := &Merged{spec: spec, kind: spec.kind()}
	c := &cursor{b: data}
	n := c.count(4)
	for range n {
		remap := c.list(maxObject)
		cats := make([]int32, c.count(1))
		for i := range cats {
			cats[i] = int32(c.uvarint())
		}
		off := int(c.uvarint())
		offs := make([]int64, c.count(1))
		prev := int64(0)
		for i := range offs {
			prev += int64(c.uvarint())
			offs[i] = prev
		}
		if c.err == nil && len(offs) != spec.Partitions+1 {
			c.fail("%d section offsets for %d partitions", len(offs), spec.Partitions)
		}
		if c.err != nil {
			break
		}
		m.remap, m.catMap, m.offset, m.sections = append(m.remap, remap), append(m.catMap, cats), append(m.offset, off), append(m.sections, offs)
	}
	if err := c.done(); err != nil {
		return nil, fmt.Errorf("dataset: plan %s: %w", key, err)
	}
	return m, nil
}

// ReadPublishPlan reads the part of a plan object (EncodePlan) that the
// publishing task needs; spec must be the import's.
func ReadPublishPlan(ctx context.Context, src split.Source, key string, spec Spec) (*Merged, error) {
	spec = spec.withDefaults()
	data, err := readPlanSection(ctx, src, key, 1)
	if err != nil {
		return nil, err
	}
	m := &Merged{spec: spec, kind: spec.kind()}
	c := &cursor{b: data}
	n := c.count(2)
	m.Items = make([]Item, 0, n)
	for range n {
		m.Items = append(m.Items, Item{Name: c.str(), Description: c.str()})
	}
	for range c.count(1) {
		m.Categories = append(m.Categories, c.str())
	}
	m.Counts = decodeCounts(c)
	if c.uvarint() == 1 {
		lo, hi := c.varint(), c.varint()
		m.TimeRange = &TimeRange{Min: time.Unix(0, lo).UTC(), Max: time.Unix(0, hi).UTC()}
	}
	m.samples = decodeSamples(c)
	if err := c.done(); err != nil {
		return nil, fmt.Errorf("dataset: plan %s: %w", key, err)
	}
	return m, nil
}

func readPlanSection(ctx context.Context, src split.Source, key string, i int) ([]byte, error) {
	offs, err := readIndex(ctx, src, key, shufflePlan, 2)
	if err != nil {
		return nil, err
	}
	return readSection(ctx, src, key, offs[i], offs[i+1])
}

// BuildShuffled returns the partition of hash bucket b, exactly as Build
// does on the whole import, from a build plan (ReadBuildPlan) and the
// split objects (keys, in split order): it reads the one section of each
// split object that holds records of bucket b.
func (m *Merged) BuildShuffled(ctx context.Context, src split.Source, keys []string, b int) (*Partition, error) {
	P := m.spec.Partitions
	if b < 0 || b >= P {
		return nil, fmt.Errorf("dataset: bucket %d of %d", b, P)
	}
	if len(keys) != len(m.remap) {
		return nil, fmt.Errorf("dataset: %d split objects for a plan of %d splits", len(keys), len(m.remap))
	}
	mm := *m
	mm.splits = make([]*SplitRows, len(keys))
	for k, key := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sec := b // log rows are sectioned by their bucket
		if m.kind != KindLog {
			sec = first(m.offset[k], b, P)
		}
		data, err := readSection(ctx, src, key, m.sections[k][sec], m.sections[k][sec+1])
		if err != nil {
			return nil, err
		}
		sr, err := decodeSection(data, m.kind, P, b, len(m.remap[k]), len(m.catMap[k]))
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: section %d: %w", key, sec, err)
		}
		mm.splits[k] = sr
	}
	return mm.Build(b), nil
}

// NewPartitionRef returns the manifest entry of partition p of a
// segment's bucket, stored as ref.
func NewPartitionRef(p *Partition, ref ObjectRef, segment, bucket int) PartitionRef {
	records, orders, rows, customers := partitionCounts(p)
	return PartitionRef{ObjectRef: ref, Segment: segment, Index: bucket, Records: records, Orders: orders, Rows: rows, Customers: customers}
}

// SourcesTimeLayout returns the time layout ParseSources gives a CSV
// spec without one: the layout detected on the first source that has a
// row with a readable time, or time.RFC3339 when none has. A spec with a
// layout, or without a time column, keeps its own.
func SourcesTimeLayout(ctx context.Context, srcs []SourceObject, spec Spec) (string, error) {
	spec = spec.withDefaults()
	if spec.kind() != KindLog || spec.TimeLayout != "" || spec.Columns.Time == "" {
		return spec.TimeLayout, nil
	}
	for _, src := range srcs {
		l, err := DetectTimeLayout(ctx, src.Bucket, src.Key, spec)
		if err != nil {
			return "", fmt.Errorf("dataset: source %s: %w", src.URL, err)
		}
		if l != "" {
			return l, nil
		}
	}
	return time.RFC3339, nil
}
