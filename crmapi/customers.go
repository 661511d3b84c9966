package crmapi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

const (
	// lastOrders is the number of orders a profile lists.
	lastOrders = 5
	// recentBaskets is the number of latest orders with a sale whose items
	// fire rules and are excluded from recommendations.
	recentBaskets = 3
	// bestSellers is the number of best-sellers kept per segment.
	bestSellers = 50
)

// loadSegments reads segments.json and customers.jsonl.
func (m *Model) loadSegments(ctx context.Context, b objstore.Bucket, p *jobs.ModelPart) error {
	o, err := object(p, "segments.json")
	if err != nil {
		return err
	}
	data, err := readVerified(ctx, b, o)
	if err != nil {
		return err
	}
	var sj jobs.SegmentsJSON
	if err := json.Unmarshal(data, &sj); err != nil {
		return fmt.Errorf("%s: %w: %v", o.Key, ErrInvalidModel, err)
	}
	for i, s := range sj.Segments {
		if s.Segment != i {
			return fmt.Errorf("%s: %w: segment %d at position %d", o.Key, ErrInvalidModel, s.Segment, i)
		}
		m.segments = append(m.segments, Segment{ID: s.Segment, Size: s.Size, Share: s.Share, Centroid: s.Centroid, Mean: s.Mean})
	}
	if o, err = object(p, "customers.jsonl"); err != nil {
		return err
	}
	if data, err = readVerified(ctx, b, o); err != nil {
		return err
	}
	m.customers = make(map[string]*customer, o.Count)
	m.bySegment = make([][]string, len(m.segments))
	return eachLine(o.Key, data, func(c *jobs.CustomerJSON) error {
		if c.Segment < 0 || int(c.Segment) >= len(m.segments) {
			return fmt.Errorf("%w: customer %q in segment %d of %d", ErrInvalidModel, c.Customer, c.Segment, len(m.segments))
		}
		if _, dup := m.customers[c.Customer]; dup {
			return fmt.Errorf("%w: customer %q listed twice", ErrInvalidModel, c.Customer)
		}
		m.customers[c.Customer] = &customer{id: c.Customer, segment: int(c.Segment), recency: c.RecencyDays,
			frequency: c.Frequency, monetary: c.Monetary, hasRFM: true, first: -1}
		m.bySegment[c.Segment] = append(m.bySegment[c.Segment], c.Customer)
		return nil
	})
}

// loadHistories reads every partition of the pinned dataset version and
// keeps, per customer, the last orders, the recent baskets, the first
// purchase time and the event sequence in the sequences job's time unit.
// Without a segments result, every customer of the log gets a profile
// (without segment and RFM scores).
func (m *Model) loadHistories(ctx context.Context, d *dataset.Dataset) error {
	if d.Manifest.Kind != dataset.KindLog || d.Manifest.Import.Columns.Customer == "" {
		if m.customers == nil {
			m.customers = map[string]*customer{}
		}
		return nil // baskets or sequences: no customers to profile
	}
	if d.Manifest.NumItems != len(m.items) {
		return fmt.Errorf("dataset %s v%d: %w: %d items, the catalogue has %d", d.Manifest.Name, d.Manifest.Version, ErrInvalidModel, d.Manifest.NumItems, len(m.items))
	}
	segmented := m.customers != nil
	if !segmented {
		m.customers = map[string]*customer{}
	}
	unit := int64(m.seqUnit)
	if unit <= 0 {
		unit = int64(24 * 3600 * 1e9)
	}
	all := map[string][]dataset.Order{}
	var latest int64
	for i := range d.Manifest.Partitions {
		p, err := d.ReadPartition(ctx, i)
		if err != nil {
			return err
		}
		for _, c := range p.Customers {
			if c.ID == "" {
				continue
			}
			all[c.ID] = append(all[c.ID], c.Orders...)
			for _, o := range c.Orders {
				for _, l := range o.Lines {
					latest = max(latest, l.Time)
				}
			}
		}
	}
	m.now = floorDiv(latest, 1e9) + features.SecondsPerDay
	for id, orders := range all {
		c := m.customers[id]
		if c == nil {
			if segmented {
				continue // no sale: not segmented, not served
			}
			c = &customer{id: id, segment: -1, first: -1}
			m.customers[id] = c
		}
		m.addHistory(c, orders, unit)
	}
	return nil
}

// addHistory fills c's orders, baskets, first time and sequence.
func (m *Model) addHistory(c *customer, orders []dataset.Order, unit int64) {
	slices.SortStableFunc(orders, func(a, b dataset.Order) int { return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.ID, b.ID)) })
	type unitItem struct {
		t    int64
		item int32
	}
	var pairs []unitItem
	for _, o := range orders {
		t := floorDiv(o.Time, 1e9)
		if c.first < 0 || t < c.first {
			c.first = t
		}
		for _, l := range o.Lines {
			if !l.Return(&o) {
				pairs = append(pairs, unitItem{floorDiv(l.Time, unit), int32(l.Item)})
			}
		}
	}
	for i := len(orders) - 1; i >= 0; i-- {
		o := &orders[i]
		if len(c.orders) < lastOrders {
			od := order{id: o.ID, time: floorDiv(o.Time, 1e9), cancel: o.Cancel}
			for _, l := range o.Lines {
				od.lines = append(od.lines, orderLine{item: int32(l.Item), quantity: l.Quantity, price: l.Price})
			}
			c.orders = append(c.orders, od)
		}
		if len(c.recent) < recentBaskets && !o.Cancel {
			var basket []int32
			for _, l := range o.Lines {
				if !l.Return(o) && !slices.Contains(basket, int32(l.Item)) {
					basket = append(basket, int32(l.Item))
				}
			}
			if len(basket) > 0 {
				sortIDs(basket)
				c.recent = append(c.recent, basket)
			}
		}
	}
	slices.SortFunc(pairs, func(x, y unitItem) int { return cmp.Or(cmp.Compare(x.t, y.t), cmp.Compare(x.item, y.item)) })
	for i := 0; i < len(pairs); {
		j := i
		var items []uint32
		for ; j < len(pairs) && pairs[j].t == pairs[i].t; j++ {
			if len(items) == 0 || items[len(items)-1] != uint32(pairs[j].item) {
				items = append(items, uint32(pairs[j].item))
			}
		}
		c.history = append(c.history, sequences.Event{Time: pairs[i].t, Items: items})
		i = j
	}
}

// finish computes what depends on every customer: RFM scores, segment
// labels and best-sellers, the dataset span and the median purchase gap.
func (m *Model) finish() {
	ids := make([]string, 0, len(m.customers))
	for id := range m.customers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var t features.Table
	var gaps []float64
	first := m.now
	for _, id := range ids {
		c := m.customers[id]
		if c.first >= 0 {
			first = min(first, c.first)
		}
		if !c.hasRFM {
			continue
		}
		t.Recency = append(t.Recency, c.recency)
		t.Frequency = append(t.Frequency, c.frequency)
		t.Monetary = append(t.Monetary, c.monetary)
		if g, ok := c.meanGap(m.now); ok {
			gaps = append(gaps, g)
		}
	}
	r, f, mo := features.Scores(&t)
	k := 0
	for _, id := range ids {
		if c := m.customers[id]; c.hasRFM {
			c.r, c.f, c.mScore = r[k], f[k], mo[k]
			k++
		}
	}
	m.span = max(float64(m.now-first)/features.SecondsPerDay-1, 1)
	m.medianGap = m.span / 2
	if len(gaps) > 0 {
		slices.Sort(gaps)
		m.medianGap = gaps[len(gaps)/2]
	}
	for _, s := range m.bySegment {
		slices.Sort(s)
	}
	m.labelSegments(t)
	m.bestSellers()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
