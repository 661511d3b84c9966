package format

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
)

// The builders below group the rows of a transaction log into the inputs
// of the kernels. They hold what they build in memory (dictionary-encoded),
// not the rows. Returns (Row.Return) are left out of baskets and
// sequences; rows with an empty customer id count for baskets but not for
// customer-level analyses (sequences, purchases), which count them in
// NoCustomer instead. Items enter the dictionary when a builder uses them,
// so returned-only items get no id.

// BasketBuilder groups rows by order into transactions.
type BasketBuilder struct {
	dict    *Dictionary
	index   map[string]int
	orders  []string
	baskets [][]uint32
	// Returns counts the return rows left out.
	Returns int
}

// NewBasketBuilder returns a builder that encodes items with dict.
func NewBasketBuilder(dict *Dictionary) *BasketBuilder {
	return &BasketBuilder{dict: dict, index: make(map[string]int)}
}

// Add adds one row.
func (b *BasketBuilder) Add(r *Row) {
	if r.Return {
		b.Returns++
		return
	}
	i, ok := b.index[r.Order]
	if !ok {
		i = len(b.orders)
		order := strings.Clone(r.Order)
		b.index[order] = i
		b.orders = append(b.orders, order)
		b.baskets = append(b.baskets, nil)
	}
	b.baskets[i] = append(b.baskets[i], b.dict.ID(r.Item, r.Description))
}

// Baskets returns one transaction per order with at least one sale, in the
// order of the orders' first appearance, each a set of item ids sorted
// ascending (an item bought on two lines of an order counts once), and the
// order ids alongside.
func (b *BasketBuilder) Baskets() (baskets [][]uint32, orders []string) {
	for i, items := range b.baskets {
		slices.Sort(items)
		b.baskets[i] = slices.Clip(slices.Compact(items))
	}
	return b.baskets, b.orders
}

// SequenceBuilder groups rows by customer into sequences of events.
type SequenceBuilder struct {
	dict *Dictionary
	unit int64 // nanoseconds
	rows map[string][]seqRow
	// Returns counts the return rows left out; NoCustomer the rows without
	// a customer id.
	Returns, NoCustomer int
}

type seqRow struct {
	t    int64
	item uint32
}

// NewSequenceBuilder returns a builder that encodes items with dict and
// measures event times in unit (24h when unit is zero or negative).
func NewSequenceBuilder(dict *Dictionary, unit time.Duration) *SequenceBuilder {
	if unit <= 0 {
		unit = 24 * time.Hour
	}
	return &SequenceBuilder{dict: dict, unit: int64(unit), rows: make(map[string][]seqRow)}
}

// Add adds one row.
func (b *SequenceBuilder) Add(r *Row) {
	switch {
	case r.Customer == "":
		b.NoCustomer++
		return
	case r.Return:
		b.Returns++
		return
	}
	t := floorDiv(r.Time.UnixNano(), b.unit)
	rows, ok := b.rows[r.Customer]
	if !ok {
		b.rows[strings.Clone(r.Customer)] = nil
	}
	b.rows[r.Customer] = append(rows, seqRow{t, b.dict.ID(r.Item, r.Description)})
}

// Sequences returns one sequence per customer with at least one sale,
// customers sorted by id string. An event holds every item the customer
// bought within one time unit (orders of the same unit merged), sorted and
// deduplicated; its Time is the number of units since the Unix epoch.
func (b *SequenceBuilder) Sequences() (customers []string, seqs []sequences.Sequence) {
	for c := range b.rows {
		customers = append(customers, c)
	}
	sort.Strings(customers)
	for _, c := range customers {
		rows := b.rows[c]
		slices.SortFunc(rows, func(x, y seqRow) int { return cmp.Or(cmp.Compare(x.t, y.t), cmp.Compare(x.item, y.item)) })
		var seq sequences.Sequence
		for i := 0; i < len(rows); {
			j := i
			var items []uint32
			for j < len(rows) && rows[j].t == rows[i].t {
				if len(items) == 0 || items[len(items)-1] != rows[j].item {
					items = append(items, rows[j].item)
				}
				j++
			}
			seq = append(seq, sequences.Event{Time: rows[i].t, Items: items})
			i = j
		}
		seqs = append(seqs, seq)
	}
	return customers, seqs
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// PurchaseBuilder turns rows into the purchases of algorithms/features.
//
// The amount of a row is Quantity × Price, negative for a return whatever
// the signs in the file; with an Amount column that is the amount (quantity
// ±1 × price |amount|). Without a Price or Amount column (countItems), the
// amount is the quantity, so Monetary becomes the number of items bought. Customers
// are indexed in ascending id-string order, orders and categories in order
// of first appearance; rows without a customer id are counted in
// NoCustomer and left out.
type PurchaseBuilder struct {
	countItems bool
	orders     map[string]uint32
	categories *Dictionary
	customers  map[string]uint32 // customer id → provisional index (first appearance)
	custIDs    []string          // customer ids by provisional index
	ps         []features.Purchase
	// NoCustomer counts the rows without a customer id.
	NoCustomer int
}

// NewPurchaseBuilder returns a builder. countItems makes the amount the
// quantity instead of quantity × price: set it when the log has no Price
// or Amount column (!CSVLogReader.Mapped().Monetary()).
func NewPurchaseBuilder(countItems bool) *PurchaseBuilder {
	return &PurchaseBuilder{countItems: countItems, orders: make(map[string]uint32),
		categories: NewDictionary(), customers: make(map[string]uint32)}
}

// Add adds one row.
func (b *PurchaseBuilder) Add(r *Row) {
	if r.Customer == "" {
		b.NoCustomer++
		return
	}
	o, ok := b.orders[r.Order]
	if !ok {
		o = uint32(len(b.orders))
		b.orders[strings.Clone(r.Order)] = o
	}
	c, ok := b.customers[r.Customer]
	if !ok {
		c = uint32(len(b.custIDs))
		id := strings.Clone(r.Customer)
		b.customers[id] = c
		b.custIDs = append(b.custIDs, id)
	}
	cat := int32(-1)
	if r.Category != "" {
		cat = int32(b.categories.ID(r.Category, ""))
	}
	amount := r.Quantity
	if !b.countItems {
		amount *= r.Price
	}
	if amount < 0 {
		amount = -amount
	}
	if r.Return {
		amount = -amount
	}
	b.ps = append(b.ps, features.Purchase{Customer: c, Order: o, Time: r.Time.Unix(), Amount: amount, Category: cat})
}

// Purchases returns the purchases with their dense customer indexes, the
// customer ids indexed by customer index, and the category names indexed
// by category. Call it once, after the last Add.
func (b *PurchaseBuilder) Purchases() (ps []features.Purchase, customers, categories []string) {
	customers = slices.Clone(b.custIDs)
	sort.Strings(customers)
	final := make([]uint32, len(b.custIDs)) // provisional index → final index
	for i, c := range customers {
		final[b.customers[c]] = uint32(i)
	}
	for i := range b.ps {
		b.ps[i].Customer = final[b.ps[i].Customer]
	}
	return b.ps, customers, slices.Clone(b.categories.Names())
}
