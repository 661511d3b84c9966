package features

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestComputeIgnoresOrderNumbering renumbers the orders (as a dataset
// partition numbers them differently from a file reader) and shuffles the
// purchases: the table must be the same, bit for bit.
func TestComputeIgnoresOrderNumbering(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for trial := 0; trial < 200; trial++ {
		var ps []Purchase
		for o := 0; o < 1+r.IntN(30); o++ {
			c, tm := uint32(r.IntN(5)), int64(r.IntN(10))*86400
			for l := 0; l < 1+r.IntN(4); l++ {
				amt := math.Round(r.NormFloat64()*1000) / 7 // inexact sums
				ps = append(ps, Purchase{Customer: c, Order: uint32(o), Time: tm, Amount: amt, Category: int32(r.IntN(3)) - 1})
			}
		}
		want, err := Compute(ps, Options{Categories: 2})
		if err != nil {
			t.Fatal(err)
		}
		perm := r.Perm(64)
		other := make([]Purchase, len(ps))
		for i, p := range ps {
			p.Order = uint32(perm[p.Order])
			other[i] = p
		}
		r.Shuffle(len(other), func(i, j int) { other[i], other[j] = other[j], other[i] })
		got, err := Compute(other, Options{Categories: 2})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Customers {
			if math.Float64bits(got.Monetary[i]) != math.Float64bits(want.Monetary[i]) ||
				got.Frequency[i] != want.Frequency[i] || got.Recency[i] != want.Recency[i] {
				t.Fatalf("trial %d customer %d: got (%v, %v, %v); want (%v, %v, %v)", trial, i,
					got.Recency[i], got.Frequency[i], got.Monetary[i], want.Recency[i], want.Frequency[i], want.Monetary[i])
			}
			for c := 0; c < 2; c++ {
				if math.Float64bits(got.Shares[2*i+c]) != math.Float64bits(want.Shares[2*i+c]) {
					t.Fatalf("trial %d customer %d share %d: got %v; want %v", trial, i, c, got.Shares[2*i+c], want.Shares[2*i+c])
				}
			}
		}
	}
}
