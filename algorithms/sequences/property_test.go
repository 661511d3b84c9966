package sequences

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMineMatchesOracle mines thousands of random small databases under
// random constraints and compares every pattern and support with the
// brute-force oracle.
func TestMineMatchesOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 4000 {
		db := randomDB(r, 3+r.IntN(4))
		opt := randomOptions(r)
		opt.Workers = []int{0, 1, 3}[r.IntN(3)]
		got, err := Mine(db, opt)
		if err != nil {
			t.Fatalf("case %d: Mine: %v", i, err)
		}
		ok := t.Run("", func(t *testing.T) { checkAgainstOracle(t, got, oracleMine(db, opt)) })
		if !ok {
			t.Fatalf("case %d: options %+v, database:\n%s", i, opt, dbString(db))
		}
	}
}

// TestCountMatchesOracle counts random candidates, frequent or not, and
// compares each count with exhaustive search over embeddings.
func TestCountMatchesOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		nItems := 3 + r.IntN(4)
		db := randomDB(r, nItems)
		opt := randomOptions(r)
		opt.Workers = []int{0, 1, 2, 5}[r.IntN(4)]
		var cands [][][]Item
		for range r.IntN(40) {
			cands = append(cands, randomPattern(r, nItems))
		}
		got, err := Count(db, cands, opt)
		if err != nil {
			t.Fatalf("case %d: Count: %v", i, err)
		}
		for c, cand := range cands {
			want := 0
			for _, seq := range db {
				if oracleContains(seq, cand, opt) {
					want++
				}
			}
			if got[c] != want {
				t.Fatalf("case %d: options %+v: Count of %s = %d; want %d; database:\n%s",
					i, opt, format(cand), got[c], want, dbString(db))
			}
		}
	}
}

// randomPattern returns a pattern of 1–3 elements of 1–2 items.
func randomPattern(r *rand.Rand, nItems int) [][]Item {
	elems := make([][]Item, 1+r.IntN(3))
	for i := range elems {
		a := randItems[r.IntN(nItems)]
		elems[i] = []Item{a}
		if r.IntN(3) == 0 {
			if b := randItems[r.IntN(nItems)]; b != a {
				elems[i] = []Item{min(a, b), max(a, b)}
			}
		}
	}
	return elems
}

// TestPartitionedEqualsMine checks that the two-phase run equals the
// single run for 1 to 8 partitions of random databases.
func TestPartitionedEqualsMine(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 600 {
		db := randomDB(r, 3+r.IntN(4))
		db = append(db, randomDB(r, 4)...)
		opt := randomOptions(r)
		opt.MinCount = 1 + r.IntN(4)
		want, err := Mine(db, opt)
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= 8; k++ {
			parts := splitRandom(r, db, k)
			got, err := MinePartitioned(parts, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, want, func(a, b Pattern) bool { return Compare(a, b) == 0 }) {
				t.Fatalf("case %d, %d partitions, options %+v: got %d patterns; want %d (Mine); database:\n%s",
					i, k, opt, len(got), len(want), dbString(db))
			}
		}
	}
}

// splitRandom deals the sequences into k partitions at random (some may be
// empty).
func splitRandom(r *rand.Rand, db []Sequence, k int) [][]Sequence {
	parts := make([][]Sequence, k)
	for _, s := range db {
		p := r.IntN(k)
		parts[p] = append(parts[p], s)
	}
	return parts
}

// TestCounterStreamsLikeCount feeds sequences one at a time.
func TestCounterStreamsLikeCount(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		db := randomDB(r, 5)
		opt := randomOptions(r)
		var cands [][][]Item
		for range 20 {
			cands = append(cands, randomPattern(r, 5))
		}
		want, err := Count(db, cands, opt)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewCounter(cands, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range db {
			if err := c.Add(s); err != nil {
				t.Fatal(err)
			}
		}
		if got := c.Counts(); !slices.Equal(got, want) {
			t.Fatalf("case %d: Counter counts %v; want %v (Count)", i, got, want)
		}
	}
}

// TestWorkersDeterministic mines a larger random database sequentially and
// with several workers.
func TestWorkersDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	db := make([]Sequence, 300)
	for i := range db {
		seq := make(Sequence, 3+r.IntN(8))
		tm := int64(0)
		for k := range seq {
			var items []Item
			for x := Item(0); x < 12; x++ {
				if r.IntN(5) == 0 {
					items = append(items, x)
				}
			}
			seq[k] = Event{Time: tm, Items: items}
			tm += 1 + int64(r.IntN(3))
		}
		db[i] = seq
	}
	for _, opt := range []Options{
		{MinCount: 30},
		{MinCount: 20, MaxGap: 3, MaxWindow: 8},
		{MinCount: 20, MinGap: 2, MaxLength: 4},
	} {
		want, err := Mine(db, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{2, 4} {
			opt.Workers = w
			got, err := Mine(db, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, want, func(a, b Pattern) bool { return Compare(a, b) == 0 }) {
				t.Errorf("options %+v: got %d patterns; want %d as with one worker", opt, len(got), len(want))
			}
		}
	}
}
