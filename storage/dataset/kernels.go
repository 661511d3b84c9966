package dataset

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
)

// ReadBaskets decodes partition i straight into transactions for the
// itemset kernels. A baskets dataset gives its baskets as imported (items
// sorted; an item repeated on a source line stays repeated). A log gives
// one transaction per order with at least one sale, items sorted and
// deduplicated, returns left out (as format.BasketBuilder does), in
// partition order.
func (d *Dataset) ReadBaskets(ctx context.Context, i int) ([][]uint32, error) {
	if err := d.Manifest.RequireItems("baskets"); err != nil {
		return nil, err
	}
	h, c, err := d.open(ctx, i)
	if err != nil {
		return nil, err
	}
	var out [][]uint32
	switch h.kind {
	case KindBaskets:
		out = decodeBaskets(c, h.records, d.Manifest.NumItems, d.Manifest.Partitions[i].Rows)
	case KindLog:
		v := &basketVisitor{slab: make([]uint32, 0, c.left()/3)}
		walkLog(c, h, d.Manifest.NumItems, v)
		v.flush()
		out = v.out
	default:
		return nil, fmt.Errorf("dataset %s: a %s dataset has no baskets", d.Manifest.Name, h.kind)
	}
	return out, d.finish(c, i)
}

type basketVisitor struct {
	out    [][]uint32
	slab   []uint32
	start  int
	cancel bool
}

func (v *basketVisitor) flush() {
	if len(v.slab) > v.start {
		v.out = append(v.out, v.slab[v.start:len(v.slab):len(v.slab)])
	}
	v.start = len(v.slab)
}

func (v *basketVisitor) customer([]byte, int) {}

func (v *basketVisitor) order(_ []byte, _ int64, cancel bool, _ int) {
	v.flush()
	v.cancel = cancel
}

func (v *basketVisitor) line(l *Line) {
	if v.cancel || l.Quantity < 0 {
		return
	}
	if n := len(v.slab); n > v.start && v.slab[n-1] == l.Item {
		return // lines are sorted by item
	}
	v.slab = append(v.slab, l.Item)
}

// ReadSequences decodes partition i into sequences for the sequence
// kernels. A sequences dataset gives its sequences as imported (customers
// is nil). A log gives, as format.SequenceBuilder does, one sequence per
// customer with at least one sale, customers sorted by id: an event holds
// the items bought within one time unit (unit ≤ 0 means 24 h), its Time is
// the number of units since the Unix epoch; returns and rows without a
// customer are left out. A log needs customer and time columns.
func (d *Dataset) ReadSequences(ctx context.Context, i int, unit time.Duration) (customers []string, seqs []sequences.Sequence, err error) {
	if d.Manifest.Kind == KindLog && (d.Manifest.Import.Columns.Customer == "" || d.Manifest.Import.Columns.Time == "") {
		return nil, nil, fmt.Errorf("dataset %s: sequences need a customer and a time column", d.Manifest.Name)
	}
	if err := d.Manifest.RequireItems("sequences"); err != nil {
		return nil, nil, err
	}
	h, c, err := d.open(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	switch h.kind {
	case KindSequences:
		seqs = decodeSequences(c, h.records, d.Manifest.NumItems)
	case KindLog:
		if unit <= 0 {
			unit = 24 * time.Hour
		}
		v := &seqVisitor{unit: int64(unit)}
		walkLog(c, h, d.Manifest.NumItems, v)
		v.flush()
		customers, seqs = v.customers, v.seqs
	default:
		return nil, nil, fmt.Errorf("dataset %s: a %s dataset has no sequences", d.Manifest.Name, h.kind)
	}
	return customers, seqs, d.finish(c, i)
}

type unitItem struct {
	t    int64
	item uint32
}

type seqVisitor struct {
	unit      int64
	id        string
	skip      bool
	cancel    bool
	pairs     []unitItem
	customers []string
	seqs      []sequences.Sequence
}

func (v *seqVisitor) flush() {
	if v.skip || len(v.pairs) == 0 {
		v.pairs = v.pairs[:0]
		return
	}
	p := v.pairs
	if !slices.IsSortedFunc(p, cmpUnitItem) {
		slices.SortFunc(p, cmpUnitItem)
	}
	var seq sequences.Sequence
	for i := 0; i < len(p); {
		items := make([]uint32, 0, 4)
		j := i
		for ; j < len(p) && p[j].t == p[i].t; j++ {
			if len(items) == 0 || items[len(items)-1] != p[j].item {
				items = append(items, p[j].item)
			}
		}
		seq = append(seq, sequences.Event{Time: p[i].t, Items: items})
		i = j
	}
	v.customers = append(v.customers, v.id)
	v.seqs = append(v.seqs, seq)
	v.pairs = v.pairs[:0]
}

func cmpUnitItem(x, y unitItem) int {
	return cmp.Or(cmp.Compare(x.t, y.t), cmp.Compare(x.item, y.item))
}

func (v *seqVisitor) customer(id []byte, _ int) {
	v.flush()
	v.id, v.skip = string(id), len(id) == 0
}

func (v *seqVisitor) order(_ []byte, _ int64, cancel bool, _ int) { v.cancel = cancel }

func (v *seqVisitor) line(l *Line) {
	if v.skip || v.cancel || l.Quantity < 0 {
		return
	}
	v.pairs = append(v.pairs, unitItem{floorDiv(l.Time, v.unit), l.Item})
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Purchases are the order lines of a log partition for algorithms/features.
type Purchases struct {
	// Purchases holds one entry per row with a customer, returns included.
	Purchases []features.Purchase
	// Customers are the customer ids by dense customer index (ascending id).
	Customers []string
	// Orders are the order ids by dense order index (first appearance).
	Orders []string
	// Categories are the category names by category index (the manifest's).
	Categories []string
}

// ReadPurchases decodes partition i of a log into purchases, with the rule
// of format.PurchaseBuilder: the amount is quantity × price (the quantity
// alone when the log has no price or amount column; an amount is stored
// as quantity ±1 and price |amount|), negative for a return; rows
// without a customer are left out; Time is in Unix seconds.
func (d *Dataset) ReadPurchases(ctx context.Context, i int) (*Purchases, error) {
	if d.Manifest.Kind != KindLog || d.Manifest.Import.Columns.Customer == "" {
		return nil, fmt.Errorf("dataset %s: purchases need a log with a customer column", d.Manifest.Name)
	}
	h, c, err := d.open(ctx, i)
	if err != nil {
		return nil, err
	}
	v := &purchaseVisitor{countItems: !d.Manifest.Import.Columns.Monetary(),
		out: &Purchases{Categories: d.Manifest.Categories, Purchases: make([]features.Purchase, 0, min(d.Manifest.Partitions[i].Rows, c.left()/3))}}
	walkLog(c, h, d.Manifest.NumItems, v)
	if err := d.finish(c, i); err != nil {
		return nil, err
	}
	return v.out, nil
}

type purchaseVisitor struct {
	countItems bool
	out        *Purchases
	skip       bool
	cust       uint32
	ord        uint32
	cancel     bool
}

func (v *purchaseVisitor) customer(id []byte, _ int) {
	v.skip = len(id) == 0
	if !v.skip {
		v.cust = uint32(len(v.out.Customers))
		v.out.Customers = append(v.out.Customers, string(id))
	}
}

func (v *purchaseVisitor) order(id []byte, _ int64, cancel bool, _ int) {
	if v.skip {
		return
	}
	v.ord = uint32(len(v.out.Orders))
	v.out.Orders = append(v.out.Orders, string(id))
	v.cancel = cancel
}

func (v *purchaseVisitor) line(l *Line) {
	if v.skip {
		return
	}
	amount := l.Quantity
	if !v.countItems {
		amount *= l.Price
	}
	if amount < 0 {
		amount = -amount
	}
	if v.cancel || l.Quantity < 0 {
		amount = -amount
	}
	v.out.Purchases = append(v.out.Purchases, features.Purchase{
		Customer: v.cust, Order: v.ord, Time: floorDiv(l.Time, 1e9), Amount: amount, Category: l.Category,
	})
}
