package dataset

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/split"
)

// A distributed import shuffles through objects of sections that a reader
// fetches one at a time with ranged reads:
//
//	"QSHF" | version (1) | type (1: split, 2: plan) | uint32 n
//	| (n+1) uint64 section offsets from the object's start | CRC-32C of all before
//	section i = bytes [offset i, offset i+1): payload | CRC-32C of the payload
//
// all fixed-width integers little endian. A split object (EncodeShuffle)
// has a head (section 0: the split's dictionary, counts and samples) and
// one section per hash bucket: the log rows of customers hashing to it,
// or the records j ≡ i (mod P) of a baskets or sequences split, since the
// global index of a split's first record is only known once every split
// is parsed. A plan object (Merged.EncodePlan) has what build tasks need
// (section 0) and what the publishing task needs (section 1).
const (
	shuffleMagic   = "QSHF"
	shuffleVersion = 1
	shuffleSplit   = 1
	shufflePlan    = 2
)

// indexLen returns the length of the index of an object of n sections.
func indexLen(n int) int64 { return 10 + 8*int64(n+1) + trailerLen }

// encodeSections lays out sections behind their index, each with its
// checksum.
func encodeSections(typ byte, sections [][]byte) []byte {
	size := indexLen(len(sections))
	offs := []int64{size}
	for _, s := range sections {
		size += int64(len(s)) + trailerLen
		offs = append(offs, size)
	}
	out := make([]byte, 0, size)
	out = append(out, shuffleMagic...)
	out = append(out, shuffleVersion, typ)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(sections)))
	for _, o := range offs {
		out = binary.LittleEndian.AppendUint64(out, uint64(o))
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
	for _, s := range sections {
		out = append(out, s...)
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(s, castagnoli))
	}
	return out
}

// readRange reads exactly the bytes [off, end) of key.
func readRange(ctx context.Context, src split.Source, key string, off, end int64) ([]byte, error) {
	if off < 0 || end < off || end-off > maxObject {
		return nil, fmt.Errorf("dataset: %s: %w: bad range [%d,%d)", key, ErrCorrupt, off, end)
	}
	rc, err := src.GetRange(ctx, key, off, end-off)
	if err != nil {
		return nil, fmt.Errorf("dataset: read %s: %w", key, err)
	}
	defer rc.Close()
	data := make([]byte, end-off)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, fmt.Errorf("dataset: read %s [%d,%d): %w", key, off, end, err)
	}
	return data, nil
}

// readIndex reads and checks the index of a shuffle object of n sections.
func readIndex(ctx context.Context, src split.Source, key string, typ byte, n int) ([]int64, error) {
	data, err := readRange(ctx, src, key, 0, indexLen(n))
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) ([]int64, error) {
		return nil, fmt.Errorf("dataset: %s: %w: %s", key, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	body := data[:len(data)-trailerLen]
	switch {
	case string(body[:4]) != shuffleMagic || body[4] != shuffleVersion || body[5] != typ:
		return bad("not a shuffle object of type %d, version %d", typ, shuffleVersion)
	case binary.LittleEndian.Uint32(data[len(body):]) != crc32.Checksum(body, castagnoli):
		return bad("index checksum mismatch")
	case binary.LittleEndian.Uint32(body[6:]) != uint32(n):
		return bad("%d sections; want %d", binary.LittleEndian.Uint32(body[6:]), n)
	}
	offs := make([]int64, n+1)
	for i := range offs {
		offs[i] = int64(binary.LittleEndian.Uint64(body[10+8*i:]))
		if (i == 0 && offs[0] != indexLen(n)) || (i > 0 && offs[i] < offs[i-1]+trailerLen) || offs[i] > maxObject {
			return bad("section offset %d out of order", i)
		}
	}
	return offs, nil
}

// readSection reads the section at [off, end) and returns its payload.
func readSection(ctx context.Context, src split.Source, key string, off, end int64) ([]byte, error) {
	data, err := readRange(ctx, src, key, off, end)
	if err != nil {
		return nil, err
	}
	if len(data) < trailerLen {
		return nil, fmt.Errorf("dataset: %s: %w: section [%d,%d) too short", key, ErrCorrupt, off, end)
	}
	body := data[:len(data)-trailerLen]
	if binary.LittleEndian.Uint32(data[len(body):]) != crc32.Checksum(body, castagnoli) {
		return nil, fmt.Errorf("dataset: %s: %w: section [%d,%d) checksum mismatch", key, ErrCorrupt, off, end)
	}
	return body, nil
}

// EncodeShuffle encodes the parsed split for a distributed import into a
// split object (see above) of 1+partitions sections: the head, then one
// section per hash bucket. partitions must be the Spec's.
func (sr *SplitRows) EncodeShuffle(partitions int) []byte {
	sections := make([][]byte, 1, 1+partitions)
	sections[0] = sr.encodeHead()
	for b := range partitions {
		e := &encoder{}
		switch {
		case sr.rows != nil:
			encodeRows(e, sr.rows[b])
		case sr.seqs != nil:
			n := 0
			for j := b; j < len(sr.seqs); j += partitions {
				n++
			}
			e.uvarint(uint64(n))
			for j := b; j < len(sr.seqs); j += partitions {
				e.uvarint(uint64(len(sr.seqs[j])))
				for _, ev := range sr.seqs[j] {
					e.varint(ev.Time)
					e.list(ev.Items)
				}
			}
		default:
			n := 0
			for j := b; j < len(sr.baskets); j += partitions {
				n++
			}
			e.uvarint(uint64(n))
			for j := b; j < len(sr.baskets); j += partitions {
				e.list(sr.baskets[j])
			}
		}
		sections = append(sections, e.b)
	}
	return encodeSections(shuffleSplit, sections)
}

// list writes item ids as they are (a split's local ids are in source
// order, not sorted).
func (e *encoder) list(items []uint32) {
	e.uvarint(uint64(len(items)))
	for _, it := range items {
		e.uvarint(uint64(it))
	}
}

func (c *cursor) list(limit int) []uint32 {
	n := c.count(1)
	out := make([]uint32, n)
	for i := range out {
		v := c.uvarint()
		if v >= uint64(limit) {
			c.fail("local item %d beyond the split's %d items", v, limit)
			return nil
		}
		out[i] = uint32(v)
	}
	return out
}

func (c *cursor) str() string { return string(c.bytes()) }

// encodeRows writes log rows with a table of their customer and order ids.
func encodeRows(e *encoder, rows []logRow) {
	idx := map[string]int{}
	var table []string
	intern := func(s string) {
		if _, ok := idx[s]; !ok {
			idx[s] = len(table)
			table = append(table, s)
		}
	}
	for i := range rows {
		intern(rows[i].customer)
		intern(rows[i].order)
	}
	e.uvarint(uint64(len(table)))
	for _, s := range table {
		e.str(s)
	}
	e.uvarint(uint64(len(rows)))
	for i := range rows {
		r := &rows[i]
		flags := uint64(0)
		if r.cancel {
			flags = 1
		}
		e.uvarint(uint64(idx[r.customer]))
		e.uvarint(uint64(idx[r.order]))
		e.uvarint(flags)
		e.varint(r.t)
		e.number(r.qty)
		e.number(r.price)
		e.uvarint(uint64(r.item))
		e.varint(int64(r.cat))
		e.uvarint(uint64(r.seq))
	}
}

// decodeRows reads what encodeRows wrote, checking local item and category
// ids against the split's dictionary sizes.
func decodeRows(c *cursor, items, cats int) []logRow {
	table := make([]string, c.count(1))
	for i := range table {
		table[i] = c.str()
	}
	str := func() string {
		v := c.uvarint()
		if v >= uint64(len(table)) {
			c.fail("string %d beyond the table's %d", v, len(table))
			return ""
		}
		return table[v]
	}
	rows := make([]logRow, c.count(9))
	for i := range rows {
		r := &rows[i]
		r.customer, r.order = str(), str()
		r.cancel = c.uvarint()&1 != 0
		r.t = c.varint()
		r.qty, r.price = c.number(), c.number()
		if it := c.uvarint(); it < uint64(items) {
			r.item = uint32(it)
		} else {
			c.fail("local item %d beyond the split's %d items", it, items)
		}
		if cat := c.varint(); cat >= -1 && cat < int64(cats) {
			r.cat = int32(cat)
		} else {
			c.fail("local category %d beyond the split's %d", cat, cats)
		}
		if seq := c.uvarint(); seq <= math.MaxInt32 {
			r.seq = int32(seq)
		} else {
			c.fail("row number %d out of range", seq)
		}
		if c.err != nil {
			return nil
		}
	}
	return rows
}

// encodeHead writes everything of a split but its records.
func (sr *SplitRows) encodeHead() []byte {
	e := &encoder{}
	flags := uint64(0)
	if sr.prefixed {
		flags |= 1
	}
	e.uvarint(flags)
	e.uvarint(uint64(sr.Lines))
	e.uvarint(uint64(sr.Stats.Lines))
	e.uvarint(uint64(sr.Stats.Records))
	e.uvarint(uint64(sr.Stats.Skipped))
	encodeSamples(e, sr.Stats.Samples)
	encodeCounts(e, sr.counts)
	e.varint(sr.minT)
	e.varint(sr.maxT)
	e.uvarint(uint64(len(sr.names)))
	for i, n := range sr.names {
		e.str(n)
		e.str(sr.descs[i])
	}
	e.list(sr.raws)
	e.uvarint(uint64(len(sr.cats)))
	for _, c := range sr.cats {
		e.str(c)
	}
	return e.b
}

// decodeHead reads a head into a SplitRows without records.
func decodeHead(data []byte) (*SplitRows, error) {
	c := &cursor{b: data}
	sr := &SplitRows{}
	sr.prefixed = c.uvarint()&1 != 0
	sr.Lines = int(c.uvarint())
	sr.Stats.Lines, sr.Stats.Records, sr.Stats.Skipped = int(c.uvarint()), int(c.uvarint()), int(c.uvarint())
	sr.Stats.Samples = decodeSamples(c)
	sr.counts = decodeCounts(c)
	sr.minT, sr.maxT = c.varint(), c.varint()
	n := c.count(2)
	sr.names, sr.descs = make([]string, 0, n), make([]string, 0, n)
	for range n {
		sr.names = append(sr.names, c.str())
		sr.descs = append(sr.descs, c.str())
	}
	sr.raws = c.list(math.MaxUint32 + 1)
	sr.cats = make([]string, c.count(1))
	for i := range sr.cats {
		sr.cats[i] = c.str()
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return sr, nil
}

func encodeSamples(e *encoder, samples []*format.LineError) {
	e.uvarint(uint64(len(samples)))
	for _, le := range samples {
		e.str(le.Object)
		e.uvarint(uint64(le.Line))
		e.str(le.Field)
		e.str(le.Reason)
		e.str(le.Text)
	}
}

func decodeSamples(c *cursor) []*format.LineError {
	n := c.count(5)
	var out []*format.LineError
	for range n {
		le := &format.LineError{Object: c.str(), Line: int(c.uvarint()), Field: c.str(), Reason: c.str(), Text: c.str()}
		out = append(out, le)
	}
	return out
}

func encodeCounts(e *encoder, n Counts) {
	for _, v := range []int{n.Lines, n.Skipped, n.Records, n.Rows, n.Orders, n.Customers, n.Returns, n.NoCustomer} {
		e.uvarint(uint64(v))
	}
}

func decodeCounts(c *cursor) Counts {
	var n Counts
	for _, p := range []*int{&n.Lines, &n.Skipped, &n.Records, &n.Rows, &n.Orders, &n.Customers, &n.Returns, &n.NoCustomer} {
		*p = int(c.uvarint())
	}
	return n
}

// decodeSection reads bucket b's section of a split whose head sized its
// dictionaries (items local items, cats local categories) into a
// SplitRows holding only those records.
func decodeSection(data []byte, kind Kind, partitions, b, items, cats int) (*SplitRows, error) {
	c := &cursor{b: data}
	sr := &SplitRows{section: true}
	switch kind {
	case KindLog:
		sr.rows = make([][]logRow, partitions)
		sr.rows[b] = decodeRows(c, items, cats)
	case KindSequences:
		n := c.count(1)
		for range n {
			events := c.count(2)
			seq := make(sequences.Sequence, 0, events)
			for range events {
				t := c.varint()
				seq = append(seq, sequences.Event{Time: t, Items: c.list(items)})
			}
			if c.err != nil {
				break
			}
			sr.seqs = append(sr.seqs, seq)
		}
	default:
		n := c.count(1)
		sr.baskets = make([][]uint32, 0, n)
		for range n {
			sr.baskets = append(sr.baskets, c.list(items))
		}
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return sr, nil
}
