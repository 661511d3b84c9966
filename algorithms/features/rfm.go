package features

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// SecondsPerDay converts the Unix-second times of purchases to the days of
// Table.Recency.
const SecondsPerDay = 86400

// ErrInput is wrapped by the errors Compute returns for invalid purchases.
var ErrInput = errors.New("invalid purchase")

// Purchase is one order line of a customer.
type Purchase struct {
	Customer uint32  // dense customer index
	Order    uint32  // dense order index
	Time     int64   // Unix seconds
	Amount   float64 // quantity × price; negative for a return
	Category int32   // category index in [0, Options.Categories), or -1 for none
}

// Options control Compute.
type Options struct {
	// Now is the reference time in Unix seconds for recency. Zero means one
	// day after the latest purchase in the input; partitioned runs must set
	// it, so that every partition uses the same reference.
	Now int64
	// Categories is the number of categories for spend shares; 0 computes
	// none and ignores Purchase.Category.
	Categories int
}

// Table holds the features of each customer, one row per customer, in
// ascending customer index.
//
//   - Recency: days (fractional) from the customer's latest sale to Now. A
//     customer with no sale (only returns or zero amounts) takes the latest
//     purchase of any kind, so that the value stays finite.
//   - Frequency: the number of distinct orders with at least one sale (a
//     purchase with a positive Amount).
//   - Monetary: net spend, the sum of all Amounts: sales minus returns. It
//     is negative for a customer whose returns exceed their sales in the
//     data, for instance one with only returns.
//   - Shares: row-major, Categories values per customer: the customer's
//     sales (positive Amounts) in each category divided by their total
//     sales. Returns do not count. Uncategorised sales count in the total,
//     so a row sums to at most 1; a customer without sales has all zeros.
type Table struct {
	Customers  []uint32
	Recency    []float64
	Frequency  []float64
	Monetary   []float64
	Categories int
	Shares     []float64
}

// Len returns the number of customers.
func (t *Table) Len() int { return len(t.Customers) }

// Names returns the column names of Matrix: "recency_days",
// "frequency_orders", "monetary", then "share_0", "share_1", ….
func (t *Table) Names() []string {
	names := []string{"recency_days", "frequency_orders", "monetary"}
	for c := 0; c < t.Categories; c++ {
		names = append(names, "share_"+strconv.Itoa(c))
	}
	return names
}

// Matrix returns the features as a dense row-major matrix with the columns
// of Names.
func (t *Table) Matrix() (data []float64, cols int) {
	cols = 3 + t.Categories
	data = make([]float64, 0, t.Len()*cols)
	for i := range t.Customers {
		data = append(data, t.Recency[i], t.Frequency[i], t.Monetary[i])
		data = append(data, t.Shares[i*t.Categories:(i+1)*t.Categories]...)
	}
	return data, cols
}

// Compute returns the RFM features and category shares of every customer
// that has at least one purchase. A non-finite Amount, or a Category outside
// [-1, Options.Categories) when Categories is set, is an error wrapping
// ErrInput.
func Compute(ps []Purchase, opt Options) (Table, error) {
	if opt.Categories < 0 {
		return Table{}, fmt.Errorf("%w: negative category count %d", ErrInput, opt.Categories)
	}
	now := opt.Now
	for i, p := range ps {
		if math.IsNaN(p.Amount) || math.IsInf(p.Amount, 0) {
			return Table{}, fmt.Errorf("%w %d: amount %v is not finite", ErrInput, i, p.Amount)
		}
		if opt.Categories > 0 && (p.Category < -1 || int(p.Category) >= opt.Categories) {
			return Table{}, fmt.Errorf("%w %d: category %d outside [-1, %d)", ErrInput, i, p.Category, opt.Categories)
		}
		if opt.Now == 0 && (i == 0 || p.Time+SecondsPerDay > now) {
			now = p.Time + SecondsPerDay
		}
	}
	// A total order makes the sums independent of the input's order. The
	// order index comes last: two numberings of the same orders (first
	// appearance in a file, or (time, id) in a dataset partition) then add
	// the same amounts in the same sequence, since purchases that tie on
	// every other field have equal amounts.
	sorted := slices.Clone(ps)
	slices.SortFunc(sorted, comparePurchases)

	k := opt.Categories
	t := Table{Categories: k}
	sales := make([]float64, k)
	var saleOrders []uint32
	for lo := 0; lo < len(sorted); {
		hi := lo
		for hi < len(sorted) && sorted[hi].Customer == sorted[lo].Customer {
			hi++
		}
		var (
			lastSale, lastAny int64 = math.MinInt64, math.MinInt64
			net, gross        float64
		)
		clear(sales)
		saleOrders = saleOrders[:0]
		for _, p := range sorted[lo:hi] {
			lastAny = max(lastAny, p.Time)
			net += p.Amount
			if p.Amount <= 0 {
				continue
			}
			lastSale = max(lastSale, p.Time)
			saleOrders = append(saleOrders, p.Order)
			gross += p.Amount
			if p.Category >= 0 && k > 0 {
				sales[p.Category] += p.Amount
			}
		}
		last := lastSale
		if last == math.MinInt64 {
			last = lastAny
		}
		t.Customers = append(t.Customers, sorted[lo].Customer)
		t.Recency = append(t.Recency, float64(now-last)/SecondsPerDay)
		slices.Sort(saleOrders)
		t.Frequency = append(t.Frequency, float64(len(slices.Compact(saleOrders))))
		t.Monetary = append(t.Monetary, net)
		for c := range sales {
			share := 0.0
			if gross > 0 {
				share = sales[c] / gross
			}
			t.Shares = append(t.Shares, share)
		}
		lo = hi
	}
	if t.Shares == nil {
		t.Shares = []float64{}
	}
	return t, nil
}

func comparePurchases(a, b Purchase) int {
	return cmp.Or(
		cmp.Compare(a.Customer, b.Customer),
		cmp.Compare(a.Time, b.Time),
		cmp.Compare(a.Amount, b.Amount),
		cmp.Compare(a.Category, b.Category),
		cmp.Compare(a.Order, b.Order),
	)
}

// Concat joins the tables of partitions that hold disjoint sets of
// customers into one table in ascending customer order. The tables must have
// the same number of categories; a customer in two tables is an error.
func Concat(parts ...Table) (Table, error) {
	out := Table{Shares: []float64{}}
	type ref struct{ part, row int }
	var refs []ref
	for p, t := range parts {
		if p > 0 && t.Categories != parts[0].Categories {
			return Table{}, fmt.Errorf("%w: table %d has %d categories; want %d", ErrInput, p, t.Categories, parts[0].Categories)
		}
		for i := range t.Customers {
			refs = append(refs, ref{p, i})
		}
	}
	if len(parts) > 0 {
		out.Categories = parts[0].Categories
	}
	slices.SortFunc(refs, func(a, b ref) int {
		return cmp.Compare(parts[a.part].Customers[a.row], parts[b.part].Customers[b.row])
	})
	k := out.Categories
	for j, r := range refs {
		t := &parts[r.part]
		c := t.Customers[r.row]
		if j > 0 && c == out.Customers[j-1] {
			return Table{}, fmt.Errorf("%w: customer %d in two partitions", ErrInput, c)
		}
		out.Customers = append(out.Customers, c)
		out.Recency = append(out.Recency, t.Recency[r.row])
		out.Frequency = append(out.Frequency, t.Frequency[r.row])
		out.Monetary = append(out.Monetary, t.Monetary[r.row])
		out.Shares = append(out.Shares, t.Shares[r.row*k:(r.row+1)*k]...)
	}
	return out, nil
}
