package rules

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/quarrydata/quarry/algorithms/itemsets"
)

// Item is a dictionary-encoded item id.
type Item = itemsets.Item

// ErrInvalid is returned (wrapped) for out-of-range options or malformed
// input itemsets.
var ErrInvalid = errors.New("invalid rule generation input")

// ErrMissingSubset is returned (wrapped) when the support of a subset that
// a rule needs is not among the given itemsets: Generate needs all frequent
// itemsets, not only closed or maximal ones.
var ErrMissingSubset = errors.New("missing subset support")

// Rule is an association rule Antecedent → Consequent with its measures.
// Both sides are non-empty, disjoint and sorted ascending. With n the
// number of transactions and s(X) the support count of X:
//
//	Support           = s(A ∪ C)
//	Confidence        = s(A ∪ C) / s(A)
//	Lift              = Confidence / (s(C) / n)
//	Leverage          = s(A ∪ C)/n − (s(A)/n)·(s(C)/n)
//	Conviction        = (1 − s(C)/n) / (1 − Confidence)
//
// Conviction is math.Inf(1) when Confidence is 1; encoders that cannot
// represent infinity (JSON) must map it themselves.
type Rule struct {
	Antecedent        []Item
	Consequent        []Item
	Support           int
	AntecedentSupport int
	ConsequentSupport int
	Confidence        float64
	Lift              float64
	Leverage          float64
	Conviction        float64
}

// Options filter and bound the generated rules. A zero filter does not
// filter.
type Options struct {
	// MinConfidence keeps rules with Confidence >= MinConfidence (0..1).
	// It is the only filter used for pruning: confidence cannot grow when
	// items move from the antecedent to the consequent.
	MinConfidence float64
	// MinLift keeps rules with Lift >= MinLift (when positive).
	MinLift float64
	// MinLeverage keeps rules with Leverage >= MinLeverage (when not 0;
	// negative values are allowed).
	MinLeverage float64
	// MinConviction keeps rules with Conviction >= MinConviction (when
	// positive).
	MinConviction float64
	// MaxConsequent bounds the consequent's size; 1 gives the single-item
	// consequents of recommendations; 0 means any size.
	MaxConsequent int
	// MaxAntecedent bounds the antecedent's size; 0 means any size.
	MaxAntecedent int
	// Workers is the number of goroutines; 0 and 1 work in the calling
	// goroutine. The result does not depend on it.
	Workers int
}

func (o Options) validate() error {
	switch {
	case math.IsNaN(o.MinConfidence) || o.MinConfidence < 0 || o.MinConfidence > 1:
		return fmt.Errorf("%w: min confidence %v must be within [0, 1]", ErrInvalid, o.MinConfidence)
	case math.IsNaN(o.MinLift) || o.MinLift < 0:
		return fmt.Errorf("%w: min lift %v must not be negative", ErrInvalid, o.MinLift)
	case math.IsNaN(o.MinLeverage) || o.MinLeverage < -1 || o.MinLeverage > 1:
		return fmt.Errorf("%w: min leverage %v must be within [-1, 1]", ErrInvalid, o.MinLeverage)
	case math.IsNaN(o.MinConviction) || o.MinConviction < 0:
		return fmt.Errorf("%w: min conviction %v must not be negative", ErrInvalid, o.MinConviction)
	case o.MaxConsequent < 0 || o.MaxAntecedent < 0:
		return fmt.Errorf("%w: max consequent %d and max antecedent %d must not be negative", ErrInvalid, o.MaxConsequent, o.MaxAntecedent)
	case o.Workers < 0:
		return fmt.Errorf("%w: workers %d must not be negative", ErrInvalid, o.Workers)
	}
	return nil
}

// Generate returns the association rules of the frequent itemsets sets
// (all of them, as itemsets.Mine returns with Kind All, at any MaxSize and
// in any order) mined from n transactions, in the order of Sort.
//
// Every split of every itemset of two or more items into a non-empty
// antecedent and consequent is considered. Rules are found per antecedent
// A: consequents grow one item at a time, in ascending item order, through
// the one-item extensions of A ∪ C, and stop growing when the confidence
// falls below MinConfidence (the anti-monotonicity that ap-genrules uses);
// so the rules come out in canonical order without a sort, and the work is
// proportional to the rules meeting MinConfidence.
//
// Rules share their item slices with each other: Antecedent and Consequent
// must be treated as read-only.
func Generate(sets []itemsets.Itemset, n int, opt Options) ([]Rule, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		return []Rule{}, nil
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: %d transactions: must be at least 1", ErrInvalid, n)
	}
	l, err := newLattice(sets, n)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, s := range sets {
		total += len(s.Items)
	}
	arena := make([]Item, 0, total)
	items := make([][]Item, len(sets))
	for i, s := range sets {
		k := len(arena)
		arena = append(arena, s.Items...)
		items[i] = arena[k:len(arena):len(arena)]
	}
	newGen := func() *generator { return &generator{l: l, items: items, n: n, opt: opt} }
	if opt.Workers <= 1 {
		g := newGen()
		for _, a := range l.order {
			g.fromAntecedent(a)
		}
		if out := g.rules(); out != nil {
			return out, nil
		}
		return []Rule{}, nil
	}
	// Chunks of antecedents in canonical order, taken by the workers in
	// turn; concatenating the chunks' rules keeps the order.
	const chunk = 64
	chunks := make([][]Rule, (len(l.order)+chunk-1)/chunk)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(opt.Workers, len(chunks)) {
		g := newGen()
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= len(chunks) {
					return
				}
				for _, a := range l.order[c*chunk : min((c+1)*chunk, len(l.order))] {
					g.fromAntecedent(a)
				}
				chunks[c] = g.rules()
			}
		})
	}
	wg.Wait()
	count := 0
	for _, c := range chunks {
		count += len(c)
	}
	out := make([]Rule, 0, count)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// Compare orders rules canonically: by antecedent, then by consequent, each
// compared lexicographically as ascending item slices (a proper prefix
// first). Two rules of one rule set never compare equal.
func Compare(a, b Rule) int {
	if c := slices.Compare(a.Antecedent, b.Antecedent); c != 0 {
		return c
	}
	return slices.Compare(a.Consequent, b.Consequent)
}

// Sort puts rules in the canonical order in which Generate returns them:
// by antecedent lexicographically, then by consequent.
func Sort(rs []Rule) {
	slices.SortFunc(rs, Compare)
}
