package features

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

const day = SecondsPerDay

// tinyLog: customer 0 buys twice and returns once; customer 1 only returns;
// customer 2 buys once, in two categories plus an uncategorised line.
var tinyLog = []Purchase{
	{Customer: 0, Order: 0, Time: 0 * day, Amount: 10, Category: 0},
	{Customer: 0, Order: 0, Time: 0 * day, Amount: 5, Category: 1},
	{Customer: 0, Order: 1, Time: 3 * day, Amount: 20, Category: 1},
	{Customer: 0, Order: 2, Time: 4 * day, Amount: -5, Category: 1}, // return, later than the last sale
	{Customer: 1, Order: 3, Time: 2 * day, Amount: -7, Category: 0},
	{Customer: 2, Order: 4, Time: 9 * day, Amount: 6, Category: 0},
	{Customer: 2, Order: 4, Time: 9 * day, Amount: 2, Category: 1},
	{Customer: 2, Order: 4, Time: 9 * day, Amount: 2, Category: -1},
}

func TestComputeTiny(t *testing.T) {
	got, err := Compute(tinyLog, Options{Categories: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Now defaults to day 10 (one day after the latest purchase, day 9).
	want := Table{
		Customers:  []uint32{0, 1, 2},
		Recency:    []float64{7, 8, 1},
		Frequency:  []float64{2, 0, 1},
		Monetary:   []float64{30, -7, 10},
		Categories: 2,
		Shares:     []float64{10.0 / 35, 25.0 / 35, 0, 0, 0.6, 0.2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
	if names := got.Names(); !reflect.DeepEqual(names, []string{"recency_days", "frequency_orders", "monetary", "share_0", "share_1"}) {
		t.Errorf("got names %v", names)
	}
	m, cols := got.Matrix()
	if cols != 5 || len(m) != 15 || m[5] != 8 || m[14] != 0.2 {
		t.Errorf("got matrix %v with %d columns; want 3 rows of 5", m, cols)
	}
}

func TestComputeOptions(t *testing.T) {
	got, err := Compute(tinyLog, Options{Now: 20 * day})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Recency, []float64{17, 18, 11}) || got.Categories != 0 || len(got.Shares) != 0 {
		t.Errorf("got recency %v, %d categories; want [17 18 11], none", got.Recency, got.Categories)
	}
	half, _ := Compute([]Purchase{{Time: 0, Amount: 1}}, Options{Now: day / 2})
	if half.Recency[0] != 0.5 {
		t.Errorf("got recency %v; want 0.5 days", half.Recency[0])
	}
	empty, err := Compute(nil, Options{Categories: 3})
	if err != nil || empty.Len() != 0 {
		t.Errorf("got %+v, %v; want an empty table", empty, err)
	}
}

func TestComputeErrors(t *testing.T) {
	tests := []struct {
		name string
		ps   []Purchase
		opt  Options
	}{
		{"NaN amount", []Purchase{{Amount: math.NaN(), Category: -1}}, Options{}},
		{"Inf amount", []Purchase{{Amount: math.Inf(-1), Category: -1}}, Options{}},
		{"category too big", []Purchase{{Amount: 1, Category: 2}}, Options{Categories: 2}},
		{"category below -1", []Purchase{{Amount: 1, Category: -2}}, Options{Categories: 2}},
		{"negative categories", nil, Options{Categories: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Compute(tc.ps, tc.opt); !errors.Is(err, ErrInput) {
				t.Errorf("got %v; want ErrInput", err)
			}
		})
	}
}

// bruteRFM recomputes the table of one customer by definition.
func bruteRFM(ps []Purchase, c uint32, now int64, k int) (r, f, m float64, shares []float64) {
	last, lastAny := int64(math.MinInt64), int64(math.MinInt64)
	orders := map[uint32]bool{}
	shares = make([]float64, k)
	gross := 0.0
	var amounts []float64
	for _, p := range ps {
		if p.Customer != c {
			continue
		}
		amounts = append(amounts, p.Amount)
		lastAny = max(lastAny, p.Time)
		if p.Amount > 0 {
			last = max(last, p.Time)
			orders[p.Order] = true
			gross += p.Amount
			if p.Category >= 0 {
				shares[p.Category] += p.Amount
			}
		}
	}
	if last == math.MinInt64 {
		last = lastAny
	}
	for i := range shares {
		if gross > 0 {
			shares[i] /= gross
		} else {
			shares[i] = 0
		}
	}
	for _, a := range amounts {
		m += a
	}
	return float64(now-last) / day, float64(len(orders)), m, shares
}

func randomPurchases(rng *rand.Rand, n, customers, k int) []Purchase {
	ps := make([]Purchase, n)
	for i := range ps {
		ps[i] = Purchase{
			Customer: uint32(rng.IntN(customers)),
			Order:    uint32(rng.IntN(2 * customers)),
			Time:     int64(rng.IntN(30)) * day / 2,
			Amount:   float64(rng.IntN(21) - 5), // integers: sums exact in any order
			Category: int32(rng.IntN(k+1) - 1),
		}
	}
	return ps
}

func TestComputeMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 2000; iter++ {
		k := rng.IntN(3)
		ps := randomPurchases(rng, 1+rng.IntN(25), 1+rng.IntN(6), k)
		now := int64(40 * day)
		got, err := Compute(ps, Options{Now: now, Categories: k})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range got.Customers {
			r, f, m, sh := bruteRFM(ps, c, now, k)
			if got.Recency[i] != r || got.Frequency[i] != f || got.Monetary[i] != m || !reflect.DeepEqual(got.Shares[i*k:(i+1)*k], sh) {
				t.Fatalf("customer %d of %v: got %v %v %v %v; want %v %v %v %v", c, ps,
					got.Recency[i], got.Frequency[i], got.Monetary[i], got.Shares[i*k:(i+1)*k], r, f, m, sh)
			}
		}
		// Order independence, and partitions by customer concatenate to the whole.
		shuffled := append([]Purchase(nil), ps...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		var parts [2][]Purchase
		for _, p := range shuffled {
			parts[p.Customer%2] = append(parts[p.Customer%2], p)
		}
		a, _ := Compute(parts[0], Options{Now: now, Categories: k})
		b, _ := Compute(parts[1], Options{Now: now, Categories: k})
		merged, err := Concat(b, a)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(merged, got) {
			t.Fatalf("got concatenated partitions %+v; want %+v", merged, got)
		}
	}
}

func TestConcatErrors(t *testing.T) {
	a, _ := Compute(tinyLog, Options{Categories: 2})
	if _, err := Concat(a, a); !errors.Is(err, ErrInput) {
		t.Errorf("got %v for a customer in two tables; want ErrInput", err)
	}
	b, _ := Compute(nil, Options{Categories: 1})
	if _, err := Concat(a, b); !errors.Is(err, ErrInput) {
		t.Errorf("got %v for different category counts; want ErrInput", err)
	}
}
