package crmapi

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quarrydata/quarry/algorithms/sequences"
)

// naiveContains tries every increasing tuple of events.
func naiveContains(h sequences.Sequence, elems [][]int32, o sequences.Options) bool {
	var try func(tuple []int) bool
	try = func(tuple []int) bool {
		if len(tuple) == len(elems) {
			for j, i := range tuple {
				for _, it := range elems[j] {
					if !slices.Contains(h[i].Items, uint32(it)) {
						return false
					}
				}
				if j > 0 {
					gap := h[i].Time - h[tuple[j-1]].Time
					if gap < o.MinGap || (o.MaxGap > 0 && gap > o.MaxGap) {
						return false
					}
				}
			}
			return len(tuple) == 0 || o.MaxWindow == 0 || h[tuple[len(tuple)-1]].Time-h[tuple[0]].Time <= o.MaxWindow
		}
		next := 0
		if len(tuple) > 0 {
			next = tuple[len(tuple)-1] + 1
		}
		for i := next; i < len(h); i++ {
			if try(append(slices.Clone(tuple), i)) {
				return true
			}
		}
		return false
	}
	return try(nil)
}

// TestContainsPrefixProperty compares containsPrefix with naiveContains on
// thousands of random small histories, patterns and constraints.
func TestContainsPrefixProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	set := func(n int) []uint32 {
		var s []uint32
		for it := range uint32(n) {
			if rng.IntN(2) == 0 {
				s = append(s, it)
			}
		}
		return s
	}
	for trial := range 5000 {
		var h sequences.Sequence
		tm := int64(0)
		for range rng.IntN(6) {
			tm += 1 + int64(rng.IntN(4))
			if items := set(4); len(items) > 0 {
				h = append(h, sequences.Event{Time: tm, Items: items})
			}
		}
		var elems [][]int32
		for range 1 + rng.IntN(3) {
			e := set(4)
			if len(e) == 0 {
				e = []uint32{uint32(rng.IntN(4))}
			}
			var ei []int32
			for _, it := range e {
				ei = append(ei, int32(it))
			}
			elems = append(elems, ei)
		}
		o := sequences.Options{MinGap: int64(rng.IntN(3)), MaxGap: int64(rng.IntN(5)), MaxWindow: int64(rng.IntN(8))}
		if o.MaxGap > 0 && o.MaxGap < o.MinGap {
			o.MaxGap = o.MinGap
		}
		if got, want := containsPrefix(h, elems, o), naiveContains(h, elems, o); got != want {
			t.Fatalf("trial %d: containsPrefix(%v, %v, %+v) = %v; want %v", trial, h, elems, o, got, want)
		}
	}
}

func TestSubset(t *testing.T) {
	tests := []struct {
		a, b []int32
		want bool
	}{
		{nil, nil, true},
		{[]int32{1}, nil, false},
		{[]int32{1, 3}, []int32{1, 2, 3}, true},
		{[]int32{1, 4}, []int32{1, 2, 3}, false},
		{[]int32{2, 2}, []int32{2}, false},
	}
	for _, tt := range tests {
		if got := subset(tt.a, tt.b); got != tt.want {
			t.Errorf("subset(%v, %v) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
