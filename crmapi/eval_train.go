package crmapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// ErrNotEvaluable is wrapped by the errors Evaluate returns for a dataset
// it cannot evaluate on: not a log with a customer column, or without a
// customer who has more orders than are held out.
var ErrNotEvaluable = errors.New("dataset cannot be evaluated")

// evalImportID names the objects prefix of the training dataset.
const evalImportID = "eval-holdout"

// heldOut is what one evaluated customer bought in the hidden orders.
type heldOut struct {
	customer string
	items    []int32 // items of the hidden orders' sale lines, sorted, distinct
}

// training is a training dataset written by buildTraining.
type training struct {
	manifest *dataset.Manifest
	held     []heldOut // by customer id, ascending
	orders   int       // orders kept
	hidden   int       // orders hidden
}

// saleOrder reports whether o has a line that is not a return.
func saleOrder(o *dataset.Order) bool {
	if o.Cancel {
		return false
	}
	for _, l := range o.Lines {
		if !l.Return(o) {
			return true
		}
	}
	return false
}

// splitCustomer cuts c's orders (sorted by time, then id) before its last
// n orders with a sale. It returns the orders kept and the distinct items
// sold in the hidden ones, or ok false when c has at most n such orders
// (c is then kept whole and not evaluated). Everything from the first
// hidden order on is dropped, cancellations and returns included, so
// that the training data holds nothing the customer did after the moment
// the recommendation is asked for.
func splitCustomer(c dataset.Customer, n int) (kept []dataset.Order, items []int32, ok bool) {
	var sales []int
	for i := range c.Orders {
		if saleOrder(&c.Orders[i]) {
			sales = append(sales, i)
		}
	}
	if c.ID == "" || len(sales) <= n {
		return c.Orders, nil, false
	}
	cut := sales[len(sales)-n]
	for _, i := range sales[len(sales)-n:] {
		o := &c.Orders[i]
		for _, l := range o.Lines {
			if !l.Return(o) {
				items = append(items, int32(l.Item))
			}
		}
	}
	slices.Sort(items)
	return c.Orders[:cut], slices.Compact(items), true
}

// buildTraining writes, into dst under src's name, a dataset version that
// is src minus each customer's last n orders with a sale (and whatever
// followed them), partition by partition with src's partitioning and item
// dictionary, so that item ids are the same in both. It reads every
// partition once and re-encodes it: no parsing, no new dictionary.
func buildTraining(ctx context.Context, src *dataset.Dataset, dst objstore.Bucket, n int) (*training, error) {
	sm := src.Manifest
	if sm.Kind != dataset.KindLog || sm.Import.Columns.Customer == "" {
		return nil, fmt.Errorf("%w: %s v%d is a %s dataset without a customer column; want a log with customers", ErrNotEvaluable, sm.Name, sm.Version, sm.Kind)
	}
	items, err := src.Items(ctx)
	if err != nil {
		return nil, fmt.Errorf("dataset %s v%d: %w", sm.Name, sm.Version, err)
	}
	tr := &training{}
	man := *sm
	man.Version, man.Parent, man.Created = 0, 0, sm.Created
	man.Items, man.DictionaryObject, man.NumItems = items, nil, len(items)
	man.Counts, man.TimeRange = dataset.Counts{}, nil
	man.Partitions = make([]dataset.PartitionRef, 0, len(sm.Partitions))
	man.Segments = make([]dataset.Segment, len(sm.Segments))
	origin := dataset.Source{URL: fmt.Sprintf("dataset:%s/v%d without each customer's last %d orders", sm.Name, sm.Version, n)}
	for i, s := range sm.Segments {
		man.Segments[i] = dataset.Segment{ID: s.ID, Version: 1, Sources: []dataset.Source{origin}}
	}
	prefix := dataset.ObjectsPrefix(sm.Name, evalImportID)
	var (
		tmin, tmax int64
		seen       bool
	)
	for i, ref := range sm.Partitions {
		p, err := src.ReadPartition(ctx, i)
		if err != nil {
			return nil, err
		}
		var counts dataset.Counts
		pr := dataset.PartitionRef{Segment: ref.Segment, Index: ref.Index, Records: len(p.Customers)}
		for j := range p.Customers {
			c := &p.Customers[j]
			orders, held, ok := splitCustomer(*c, n)
			if ok {
				tr.held = append(tr.held, heldOut{customer: c.ID, items: held})
				tr.hidden += len(c.Orders) - len(orders)
			}
			c.Orders = orders
			tr.orders += len(orders)
			if c.ID != "" {
				pr.Customers++
			}
			pr.Orders += len(orders)
			for _, o := range orders {
				pr.Rows += len(o.Lines)
				for _, l := range o.Lines {
					if l.Return(&o) {
						counts.Returns++
					}
					if c.ID == "" {
						counts.NoCustomer++
					}
					if !seen || l.Time < tmin {
						tmin = l.Time
					}
					if !seen || l.Time > tmax {
						tmax = l.Time
					}
					seen = true
				}
			}
		}
		ref2, err := dataset.WriteOnce(ctx, dst, dataset.PartitionKey(prefix, ref.Segment, ref.Index), dataset.Encode(p))
		if err != nil {
			return nil, err
		}
		pr.ObjectRef = ref2
		man.Partitions = append(man.Partitions, pr)
		counts.Records, counts.Rows, counts.Orders, counts.Customers = pr.Rows, pr.Rows, pr.Orders, pr.Customers
		for k := range man.Segments {
			if man.Segments[k].ID == ref.Segment {
				addCounts(&man.Segments[k].Counts, counts)
			}
		}
		addCounts(&man.Counts, counts)
	}
	if len(tr.held) == 0 {
		return nil, fmt.Errorf("%w: no customer of %s v%d has more than %d orders", ErrNotEvaluable, sm.Name, sm.Version, n)
	}
	if sm.TimeRange != nil && seen {
		man.TimeRange = &dataset.TimeRange{Min: time.Unix(0, tmin).UTC(), Max: time.Unix(0, tmax).UTC()}
	}
	slices.SortFunc(tr.held, func(a, b heldOut) int { return strings.Compare(a.customer, b.customer) })
	if tr.manifest, err = dataset.PublishOnce(ctx, dst, &man, nil, 0); err != nil {
		return nil, fmt.Errorf("publish training dataset: %w", err)
	}
	return tr, nil
}

// addCounts adds o to c (the fields a derived dataset knows).
func addCounts(c *dataset.Counts, o dataset.Counts) {
	c.Records += o.Records
	c.Rows += o.Rows
	c.Orders += o.Orders
	c.Customers += o.Customers
	c.Returns += o.Returns
	c.NoCustomer += o.NoCustomer
}
