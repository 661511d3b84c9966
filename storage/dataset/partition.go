package dataset

import (
	"github.com/quarrydata/quarry/algorithms/sequences"
)

// Kind is the shape of a dataset's records.
type Kind string

// The dataset kinds, one per input format.
const (
	// KindBaskets holds transactions (FIMI input): a partition is a list
	// of baskets of item ids.
	KindBaskets Kind = "baskets"
	// KindSequences holds sequences (SPMF input): a partition is a list of
	// sequences of timed events.
	KindSequences Kind = "sequences"
	// KindLog holds a transaction log (CSV input): a partition is a list of
	// customers, each with its orders and their lines.
	KindLog Kind = "log"
)

// kindByte and byteKind translate kinds to the partition header byte.
var kindByte = map[Kind]byte{KindBaskets: 1, KindSequences: 2, KindLog: 3}

func byteKind(b byte) (Kind, bool) {
	for k, v := range kindByte {
		if v == b {
			return k, true
		}
	}
	return "", false
}

// Partition is the decoded content of one partition object. Exactly one of
// Baskets, Sequences and Customers is used, as Kind says.
type Partition struct {
	Kind Kind
	// Categories marks a log whose lines carry a category.
	Categories bool
	// Baskets are the transactions of a KindBaskets partition, each sorted
	// ascending; an item listed twice on its line in the source stays twice.
	Baskets [][]uint32
	// Sequences are the sequences of a KindSequences partition.
	Sequences []sequences.Sequence
	// Customers are the customers of a KindLog partition, sorted by id;
	// the customer "" collects the orders of rows without a customer id.
	Customers []Customer
}

// Customer is one customer's orders in a log partition, sorted by (Time,
// ID).
type Customer struct {
	ID     string
	Orders []Order
}

// Order is the lines one customer has under one order id.
type Order struct {
	ID string
	// Time is the earliest time of the order's lines, in Unix nanoseconds
	// (0 when the log has no time column).
	Time int64
	// Cancel reports that the order id starts with the cancel prefix: every
	// line of the order is a return.
	Cancel bool
	// Lines are sorted by item id, ties in source order.
	Lines []Line
}

// Line is one row of the source log.
type Line struct {
	Item     uint32
	Quantity float64
	Price    float64
	// Category is the category index in the manifest's category list, or
	// -1 for none.
	Category int32
	// Time is the row's time in Unix nanoseconds; usually the order's.
	Time int64
}

// Return reports whether the line is a return: its order is a cancellation
// or its quantity is negative (the rule of format.Row.Return).
func (l Line) Return(o *Order) bool { return o.Cancel || l.Quantity < 0 }

// Records returns the number of records: baskets, sequences or customers.
func (p *Partition) Records() int {
	switch p.Kind {
	case KindBaskets:
		return len(p.Baskets)
	case KindSequences:
		return len(p.Sequences)
	}
	return len(p.Customers)
}
