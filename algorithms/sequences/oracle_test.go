package sequences

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// This file holds the brute-force oracle the kernels are tested against. It
// follows the definition directly: a pattern ⟨E1 … Ek⟩ is contained in a
// sequence when some strictly increasing event indexes j1 < … < jk have
// Ei ⊆ items(j_i), MinGap ≤ t(j_{i+1}) − t(j_i) ≤ MaxGap (MaxGap 0:
// unlimited) and t(jk) − t(j1) ≤ MaxWindow (0: unlimited).

// gapOK reports whether an element may be matched at time next after one at
// prev, in an occurrence whose first element matched at first.
func gapOK(opt Options, first, prev, next int64) bool {
	d := next - prev
	if d <= 0 || d < opt.MinGap {
		return false
	}
	if opt.MaxGap > 0 && d > opt.MaxGap {
		return false
	}
	return opt.MaxWindow == 0 || next-first <= opt.MaxWindow
}

// subset reports whether sorted a ⊆ sorted b.
func subset(a, b []Item) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

// oracleContains tries every embedding of pat in seq.
func oracleContains(seq Sequence, pat [][]Item, opt Options) bool {
	var try func(el, from int, first, prev int64) bool
	try = func(el, from int, first, prev int64) bool {
		if el == len(pat) {
			return true
		}
		for j := from; j < len(seq); j++ {
			t := seq[j].Time
			if el > 0 && !gapOK(opt, first, prev, t) {
				continue
			}
			if !subset(pat[el], seq[j].Items) {
				continue
			}
			f := first
			if el == 0 {
				f = t
			}
			if try(el+1, j+1, f, t) {
				return true
			}
		}
		return false
	}
	return try(0, 0, 0, 0)
}

// oracleMine enumerates, for every sequence, every pattern it contains (by
// walking all admissible choices of events and all non-empty subsets of
// their items), and keeps those contained in at least opt.MinCount
// sequences and no longer than opt.MaxLength.
func oracleMine(db []Sequence, opt Options) map[string]int {
	sup := map[string]int{}
	for _, seq := range db {
		seen := map[string]bool{}
		var elems [][]Item
		var walk func(from int, first, prev int64, n int)
		walk = func(from int, first, prev int64, n int) {
			if len(elems) > 0 {
				seen[key(elems)] = true
			}
			for j := from; j < len(seq); j++ {
				t := seq[j].Time
				if len(elems) > 0 && !gapOK(opt, first, prev, t) {
					continue
				}
				items := seq[j].Items
				f := first
				if len(elems) == 0 {
					f = t
				}
				for mask := 1; mask < 1<<len(items); mask++ {
					var el []Item
					for b, x := range items {
						if mask&(1<<b) != 0 {
							el = append(el, x)
						}
					}
					if opt.MaxLength > 0 && n+len(el) > opt.MaxLength {
						continue
					}
					elems = append(elems, el)
					walk(j+1, f, t, n+len(el))
					elems = elems[:len(elems)-1]
				}
			}
		}
		walk(0, 0, 0, 0)
		for k := range seen {
			sup[k]++
		}
	}
	for k, n := range sup {
		if n < opt.MinCount {
			delete(sup, k)
		}
	}
	return sup
}

// randItems are the item ids random databases draw from: small ones and a
// few huge ones, so both item-index paths run.
var randItems = []Item{1, 2, 3, 5, 8, 13, 1 << 30, 1<<32 - 1}

// randomDB returns up to 8 sequences of up to 5 events of up to 3 of
// nItems items, at strictly increasing random times.
func randomDB(r *rand.Rand, nItems int) []Sequence {
	db := make([]Sequence, r.IntN(9))
	for i := range db {
		seq := make(Sequence, r.IntN(6))
		t := int64(r.IntN(9) - 3)
		for k := range seq {
			var items []Item
			for _, x := range randItems[:nItems] {
				if r.IntN(nItems) < 2 {
					items = append(items, x)
				}
			}
			if len(items) > 3 {
				items = items[:3]
			}
			seq[k] = Event{Time: t, Items: items}
			t += 1 + int64(r.IntN(4))
		}
		db[i] = seq
	}
	return db
}

// randomOptions returns random constraints, often unconstrained.
func randomOptions(r *rand.Rand) Options {
	opt := Options{
		MinCount:  1 + r.IntN(3),
		MaxLength: []int{0, 0, 1, 2, 3, 4}[r.IntN(6)],
		MinGap:    []int64{0, 0, 1, 2, 3}[r.IntN(5)],
		MaxGap:    []int64{0, 0, 1, 2, 3, 5}[r.IntN(6)],
		MaxWindow: []int64{0, 0, 2, 4, 7}[r.IntN(5)],
	}
	if opt.MaxGap > 0 && opt.MinGap > opt.MaxGap {
		opt.MinGap = opt.MaxGap
	}
	return opt
}

// checkAgainstOracle compares mined patterns with the oracle's supports and
// checks the canonical order.
func checkAgainstOracle(t *testing.T, got []Pattern, want map[string]int) {
	t.Helper()
	if !slices.IsSortedFunc(got, Compare) {
		t.Errorf("patterns not in canonical order")
	}
	seen := map[string]bool{}
	for _, p := range got {
		k := key(p.Elements)
		if seen[k] {
			t.Errorf("pattern %s reported twice", format(p.Elements))
		}
		seen[k] = true
		if w, ok := want[k]; !ok {
			t.Errorf("got pattern %s (support %d); want it absent", format(p.Elements), p.Support)
		} else if w != p.Support {
			t.Errorf("pattern %s: got support %d; want %d", format(p.Elements), p.Support, w)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("got %d patterns; want %d", len(seen), len(want))
	}
}

// format writes a pattern as SPMF's documentation does: (1 2)(3).
func format(elems [][]Item) string {
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('(')
		for i, x := range e {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprint(&b, x)
		}
		b.WriteByte(')')
	}
	return b.String()
}

func dbString(db []Sequence) string {
	var b strings.Builder
	for i, s := range db {
		fmt.Fprintf(&b, "S%d:", i)
		for _, e := range s {
			fmt.Fprintf(&b, " %d%v", e.Time, e.Items)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
