package dataset

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/format"
)

// itemDict is the dataset's item dictionary while an import extends it:
// ids in order of first appearance, in source order.
type itemDict struct {
	ids   map[string]uint32
	items []Item
}

func newItemDict(base []Item) *itemDict {
	d := &itemDict{ids: make(map[string]uint32, len(base)), items: slices.Clone(base)}
	for i, it := range base {
		d.ids[it.Name] = uint32(i)
	}
	return d
}

func (d *itemDict) id(name, desc string) uint32 {
	if id, ok := d.ids[name]; ok {
		return id
	}
	id := uint32(len(d.items))
	d.ids[name] = id
	d.items = append(d.items, Item{Name: name, Description: desc})
	return id
}

// Merged is the parsed content of one import (all its splits, in source
// and split order) with a common dictionary, ready to be cut into
// partitions. The dictionary and the partitions depend only on the
// sources' content and the Spec, never on how the sources were split.
type Merged struct {
	spec   Spec
	kind   Kind
	splits []*SplitRows
	remap  [][]uint32 // split → local item id → global id
	catMap [][]int32  // split → local category → global category
	offset []int      // split → global index of its first record
	// samples are the first spec.MaxSamples bad lines skipped, in source
	// order, for the quarantine object.
	samples []*format.LineError
	// sections locate the sections of each split's shuffle object (a
	// distributed import; see shuffle.go), nil otherwise.
	sections [][]int64
	// Items is the whole dictionary (the base's items first); Categories
	// the category names.
	Items      []Item
	Categories []string
	// Counts add up the splits (Customers is filled in by the caller from
	// the built partitions).
	Counts Counts
	// TimeRange is the range of row times, nil without times.
	TimeRange *TimeRange
}

// Merge gives the splits of an import (every split of every source, in
// order) one dictionary that extends baseItems and baseCats (those of the
// version appended to, or nil).
func Merge(splits []*SplitRows, baseItems []Item, baseCats []string, spec Spec) *Merged {
	spec = spec.withDefaults()
	m := &Merged{spec: spec, kind: spec.kind(), splits: splits}
	dict := newItemDict(baseItems)
	cats := newItemDict(nil)
	for _, c := range baseCats {
		cats.id(c, "")
	}
	if m.kind != KindLog {
		addRaw(dict, splits)
	}
	minT, maxT := int64(math.MaxInt64), int64(math.MinInt64)
	off := 0
	noItems := m.kind == KindLog && spec.Columns.Item == ""
	for _, sr := range splits {
		r := make([]uint32, len(sr.names)+len(sr.raws))
		for i, name := range sr.names {
			if noItems {
				continue // every line has the one local item "": id 0, no dictionary
			}
			r[i] = dict.id(name, sr.descs[i])
		}
		for i, raw := range sr.raws {
			r[i] = dict.ids[strconv.FormatUint(uint64(raw), 10)]
		}
		m.remap = append(m.remap, r)
		c := make([]int32, len(sr.cats))
		for i, name := range sr.cats {
			c[i] = int32(cats.id(name, ""))
		}
		m.catMap = append(m.catMap, c)
		m.offset = append(m.offset, off)
		if m.kind != KindLog { // baskets and sequences go round robin
			off += sr.counts.Records
		}
		m.Counts.add(sr.counts)
		m.Counts.Lines += sr.Lines
		m.Counts.Skipped += sr.Stats.Skipped
		if m.kind == KindLog && sr.minT <= sr.maxT {
			minT, maxT = min(minT, sr.minT), max(maxT, sr.maxT)
		}
		for _, le := range sr.Stats.Samples {
			if len(m.samples) < spec.MaxSamples {
				m.samples = append(m.samples, le)
			}
		}
	}
	m.Items = dict.items
	for _, it := range cats.items {
		m.Categories = append(m.Categories, it.Name)
	}
	if m.kind == KindLog && spec.Columns.Time != "" && minT <= maxT {
		m.TimeRange = &TimeRange{Min: time.Unix(0, minT).UTC(), Max: time.Unix(0, maxT).UTC()}
	}
	return m
}

// addRaw adds the numeric items of FIMI or SPMF splits to dict in
// ascending numeric order, so that item ids keep the order of the raw ids
// (and results sort as those of 'quarry mine' on the raw file do).
func addRaw(dict *itemDict, splits []*SplitRows) {
	seen := map[uint32]bool{}
	var raws []uint32
	for _, sr := range splits {
		for _, raw := range sr.raws {
			if !seen[raw] {
				seen[raw] = true
				raws = append(raws, raw)
			}
		}
	}
	slices.Sort(raws)
	for _, raw := range raws {
		dict.id(strconv.FormatUint(uint64(raw), 10), "")
	}
}

// Build returns the partition of hash bucket b. Baskets and sequences
// (which have no customer) go round robin: the record with global index g
// (0-based, in source order) lands in bucket g mod P. Log rows go to the
// bucket of their customer id (CustomerBucket), or of their order id when
// they have no customer.
func (m *Merged) Build(b int) *Partition {
	p := &Partition{Kind: m.kind, Categories: m.spec.Columns.Category != ""}
	switch m.kind {
	case KindBaskets:
		for k, sr := range m.splits {
			j0, step := m.stride(k, b)
			for j := j0; j < len(sr.baskets); j += step {
				p.Baskets = append(p.Baskets, m.items(k, sr.baskets[j]))
			}
		}
	case KindSequences:
		for k, sr := range m.splits {
			j0, step := m.stride(k, b)
			for j := j0; j < len(sr.seqs); j += step {
				src := sr.seqs[j]
				seq := make(sequences.Sequence, len(src))
				for e, ev := range src {
					seq[e] = sequences.Event{Time: ev.Time, Items: m.items(k, ev.Items)}
				}
				p.Sequences = append(p.Sequences, seq)
			}
		}
	case KindLog:
		p.Customers = m.buildLog(b)
	}
	return p
}

// stride returns the first index and the step of the records of split k
// that go round robin to bucket b: every P-th from first(…) in a whole
// split, every one in a split holding only that bucket's section.
func (m *Merged) stride(k, b int) (int, int) {
	if m.splits[k].section {
		return 0, 1
	}
	return first(m.offset[k], b, m.spec.Partitions), m.spec.Partitions
}

// first returns the first index j ≥ 0 with (off+j) mod P == b.
func first(off, b, P int) int {
	return ((b-off)%P + P) % P
}

// items returns the global ids of local items, sorted.
func (m *Merged) items(k int, local []uint32) []uint32 {
	out := make([]uint32, len(local))
	for i, it := range local {
		out[i] = m.remap[k][it]
	}
	if !slices.IsSorted(out) {
		slices.Sort(out)
	}
	return out
}

// gRow is a log row with global ids and its place in the sources.
type gRow struct {
	r    *logRow
	item uint32
	cat  int32
	k    int32 // split ordinal
}

func (m *Merged) buildLog(b int) []Customer {
	var rows []gRow
	for k, sr := range m.splits {
		for i := range sr.rows[b] {
			r := &sr.rows[b][i]
			cat := int32(-1)
			if r.cat >= 0 {
				cat = m.catMap[k][r.cat]
			}
			rows = append(rows, gRow{r: r, item: m.remap[k][r.item], cat: cat, k: int32(k)})
		}
	}
	slices.SortFunc(rows, func(x, y gRow) int {
		return cmp.Or(strings.Compare(x.r.customer, y.r.customer), strings.Compare(x.r.order, y.r.order),
			cmp.Compare(x.item, y.item), cmp.Compare(x.k, y.k), cmp.Compare(x.r.seq, y.r.seq))
	})
	var out []Customer
	for i := 0; i < len(rows); {
		c := Customer{ID: rows[i].r.customer}
		for i < len(rows) && rows[i].r.customer == c.ID {
			o := Order{ID: rows[i].r.order, Cancel: rows[i].r.cancel, Time: math.MaxInt64}
			for i < len(rows) && rows[i].r.customer == c.ID && rows[i].r.order == o.ID {
				g := rows[i]
				o.Lines = append(o.Lines, Line{Item: g.item, Quantity: g.r.qty, Price: g.r.price, Category: g.cat, Time: g.r.t})
				o.Time = min(o.Time, g.r.t)
				i++
			}
			c.Orders = append(c.Orders, o)
		}
		slices.SortStableFunc(c.Orders, func(x, y Order) int {
			return cmp.Or(cmp.Compare(x.Time, y.Time), strings.Compare(x.ID, y.ID))
		})
		out = append(out, c)
	}
	return out
}

// partitionCounts returns what a built partition holds: records, orders,
// rows (log rows or item occurrences) and non-empty customers.
func partitionCounts(p *Partition) (records, orders, rows, customers int) {
	records = p.Records()
	for _, b := range p.Baskets {
		rows += len(b)
	}
	for _, s := range p.Sequences {
		for _, ev := range s {
			rows += len(ev.Items)
		}
	}
	for _, c := range p.Customers {
		if c.ID != "" {
			customers++
		}
		orders += len(c.Orders)
		for _, o := range c.Orders {
			rows += len(o.Lines)
		}
	}
	return records, orders, rows, customers
}
