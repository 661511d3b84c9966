package rules

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/internal/testenv"
)

// bruteRules splits every frequent itemset every way and recomputes each
// measure by counting transactions directly.
func bruteRules(txs [][]Item, sets []itemsets.Itemset, opt Options) []Rule {
	count := func(items []Item) int {
		c := 0
		for _, tx := range txs {
			all := true
			for _, it := range items {
				if !slices.Contains(tx, it) {
					all = false
					break
				}
			}
			if all {
				c++
			}
		}
		return c
	}
	n := float64(len(txs))
	out := []Rule{}
	for _, z := range sets {
		k := len(z.Items)
		for mask := 1; mask < 1<<k-1; mask++ {
			var a, c []Item
			for i, it := range z.Items {
				if mask&(1<<i) != 0 {
					c = append(c, it)
				} else {
					a = append(a, it)
				}
			}
			s, sA, sC := count(z.Items), count(a), count(c)
			conf := float64(s) / float64(sA)
			pa, pc, pz := float64(sA)/n, float64(sC)/n, float64(s)/n
			r := Rule{Antecedent: a, Consequent: c, Support: s, AntecedentSupport: sA, ConsequentSupport: sC,
				Confidence: conf, Lift: conf / pc, Leverage: pz - pa*pc, Conviction: (1 - pc) / (1 - conf)}
			if s == sA {
				r.Conviction = math.Inf(1)
			}
			if conf < opt.MinConfidence || (opt.MinLift > 0 && r.Lift < opt.MinLift) ||
				(opt.MinLeverage != 0 && r.Leverage < opt.MinLeverage) ||
				(opt.MinConviction > 0 && r.Conviction < opt.MinConviction) ||
				(opt.MaxConsequent > 0 && len(c) > opt.MaxConsequent) ||
				(opt.MaxAntecedent > 0 && len(a) > opt.MaxAntecedent) {
				continue
			}
			out = append(out, r)
		}
	}
	Sort(out)
	return out
}

func near(a, b float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func sameRule(a, b Rule) bool {
	return slices.Equal(a.Antecedent, b.Antecedent) && slices.Equal(a.Consequent, b.Consequent) &&
		a.Support == b.Support && a.AntecedentSupport == b.AntecedentSupport &&
		a.ConsequentSupport == b.ConsequentSupport && near(a.Confidence, b.Confidence) &&
		near(a.Lift, b.Lift) && near(a.Leverage, b.Leverage) && near(a.Conviction, b.Conviction)
}

func formatRules(rs []Rule) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("%v=>%v:%d/%d/%d ", r.Antecedent, r.Consequent, r.Support, r.AntecedentSupport, r.ConsequentSupport)
	}
	return s
}

func randomDB(rng *rand.Rand) [][]Item {
	nItems := 1 + rng.IntN(8)
	density := 0.2 + 0.7*rng.Float64()
	txs := make([][]Item, 1+rng.IntN(30))
	for t := range txs {
		var tx []Item
		for i := range nItems {
			if rng.Float64() < density {
				tx = append(tx, Item(i*3+1))
			}
		}
		txs[t] = tx
	}
	return txs
}

func TestGenerateMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := range 2000 {
		txs := randomDB(rng)
		sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: 1 + rng.IntN(len(txs)/2+1), MaxSize: rng.IntN(5)})
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(2) == 0 {
			rng.Shuffle(len(sets), func(i, j int) { sets[i], sets[j] = sets[j], sets[i] })
		}
		opt := Options{Workers: rng.IntN(3)}
		switch rng.IntN(4) {
		case 0:
			opt.MinConfidence = []float64{0.5, 0.8, 1, 0.3}[rng.IntN(4)]
		case 1:
			opt.MinConfidence = rng.Float64()
			opt.MinLift = 0.5 + rng.Float64()
		case 2:
			opt.MinLeverage = rng.Float64()*0.2 - 0.1
			opt.MinConviction = rng.Float64() * 2
		}
		if rng.IntN(3) == 0 {
			opt.MaxConsequent = 1 + rng.IntN(2)
		}
		if rng.IntN(3) == 0 {
			opt.MaxAntecedent = 1 + rng.IntN(2)
		}
		got, err := Generate(sets, len(txs), opt)
		if err != nil {
			t.Fatalf("iter %d: Generate: %v", iter, err)
		}
		want := bruteRules(txs, sets, opt)
		if !slices.EqualFunc(got, want, sameRule) {
			t.Fatalf("iter %d: txs %v opt %+v\n got %s\nwant %s", iter, txs, opt, formatRules(got), formatRules(want))
		}
	}
}

func TestGenerateMeasures(t *testing.T) {
	// 10 transactions: s(1)=5, s(2)=4, s(1 2)=4.
	sets := []itemsets.Itemset{
		{Items: []Item{1}, Support: 5},
		{Items: []Item{1, 2}, Support: 4},
		{Items: []Item{2}, Support: 4},
	}
	got, err := Generate(sets, 10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Antecedent: []Item{1}, Consequent: []Item{2}, Support: 4, AntecedentSupport: 5, ConsequentSupport: 4,
			Confidence: 0.8, Lift: 2, Leverage: 0.2, Conviction: 3},
		{Antecedent: []Item{2}, Consequent: []Item{1}, Support: 4, AntecedentSupport: 4, ConsequentSupport: 5,
			Confidence: 1, Lift: 2, Leverage: 0.2, Conviction: math.Inf(1)},
	}
	if !slices.EqualFunc(got, want, sameRule) {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		sets []itemsets.Itemset
		n    int
		opt  Options
		want error
	}{
		{"missing subset", []itemsets.Itemset{{Items: []Item{1, 2}, Support: 2}, {Items: []Item{1}, Support: 3}}, 5, Options{}, ErrMissingSubset},
		{"unsorted items", []itemsets.Itemset{{Items: []Item{2, 1}, Support: 2}}, 5, Options{}, ErrInvalid},
		{"support above n", []itemsets.Itemset{{Items: []Item{1}, Support: 6}}, 5, Options{}, ErrInvalid},
		{"no transactions", []itemsets.Itemset{{Items: []Item{1}, Support: 1}}, 0, Options{}, ErrInvalid},
		{"confidence above 1", nil, 5, Options{MinConfidence: 1.5}, ErrInvalid},
		{"negative lift", nil, 5, Options{MinLift: -1}, ErrInvalid},
		{"negative max consequent", nil, 5, Options{MaxConsequent: -1}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.sets, tt.n, tt.opt)
			if !errors.Is(err, tt.want) {
				t.Errorf("got error %v; want %v", err, tt.want)
			}
		})
	}
}

func TestGenerateEmpty(t *testing.T) {
	got, err := Generate(nil, 0, Options{})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("got %v, %v; want an empty non-nil result", got, err)
	}
}

// TestGenerateMushroom checks a count confirmed with Weka 3.6 FPGrowth:
// Weka finds 24,396 rules with confidence strictly above 0.9 at support
// 2438, and 12 more have confidence exactly 0.9 (e.g. 3024/3360).
func TestGenerateMushroom(t *testing.T) {
	txs := testenv.ReadFIMI(t, testenv.Shared(t, "mushroom.dat"))
	sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: 2438})
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		rs, err := Generate(sets, len(txs), Options{MinConfidence: 0.9, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		ties := 0
		for _, r := range rs {
			if r.Support*10 == r.AntecedentSupport*9 {
				ties++
			}
		}
		if len(rs) != 24408 || ties != 12 {
			t.Errorf("workers %d: got %d rules, %d of confidence 0.9; want 24408 and 12", workers, len(rs), ties)
		}
		if !slices.IsSortedFunc(rs, Compare) {
			t.Errorf("workers %d: rules not in canonical order", workers)
		}
	}
}
