package rules

import (
	"math"
)

// generator finds the rules of some antecedents on one goroutine.
type generator struct {
	l     *lattice
	items [][]Item // the generator's read-only copy of every set's items
	n     int
	opt   Options
	out   []Rule   // the block being filled
	full  [][]Rule // filled blocks, in order
	bufs  [][]ext  // candidate lists, one per consequent size
}

// rules returns the rules found so far, in order, and starts afresh.
// Filling fixed blocks and copying once at the end moves each rule twice at
// most, where a growing slice would move it about three times.
func (g *generator) rules() []Rule {
	var all []Rule
	if len(g.full) == 0 {
		all = g.out
	} else {
		n := len(g.out)
		for _, b := range g.full {
			n += len(b)
		}
		all = make([]Rule, 0, n)
		for _, b := range g.full {
			all = append(all, b...)
		}
		all = append(all, g.out...)
	}
	g.out, g.full = nil, nil
	return all
}

// fromAntecedent appends the rules whose antecedent is set a, ordered by
// consequent. Consequents C are enumerated depth first in ascending item
// order, which is their lexicographic order; a C is extended only while
// a → C meets MinConfidence, since confidence cannot grow as C grows.
func (g *generator) fromAntecedent(a int32) {
	sA := g.l.sets[a].Support
	if g.opt.MaxAntecedent > 0 && len(g.l.sets[a].Items) > g.opt.MaxAntecedent {
		return
	}
	cands := g.buf(0)
	for _, e := range g.l.extsOf(a) {
		if g.passes(g.l.sets[e.set].Support, sA) {
			cands = append(cands, e)
		}
	}
	g.bufs[0] = cands
	g.walk(a, -1, cands, 1)
}

func (g *generator) buf(depth int) []ext {
	for len(g.bufs) <= depth {
		g.bufs = append(g.bufs, nil)
	}
	return g.bufs[depth][:0]
}

func (g *generator) passes(s, sA int) bool {
	return float64(s)/float64(sA) >= g.opt.MinConfidence
}

// walk handles the consequents c ∪ {x} for each candidate x of cands,
// where every candidate is an extension of a ∪ c meeting MinConfidence and
// size is |c|+1.
func (g *generator) walk(a, c int32, cands []ext, size int) {
	sA := g.l.sets[a].Support
	for i, x := range cands {
		cx := g.l.find(c, x.item) // present: the input is downward closed
		g.emit(a, x.set, cx)
		if g.opt.MaxConsequent > 0 && size >= g.opt.MaxConsequent {
			continue
		}
		// Candidates of the next size: later siblings y with a ∪ c ∪ {x, y}
		// frequent and confident.
		next := g.buf(size)
		sup := g.l.extsOf(x.set)
		rest := cands[i+1:]
		k := 0
		for _, y := range rest {
			for k < len(sup) && sup[k].item < y.item {
				k++
			}
			if k == len(sup) {
				break
			}
			if sup[k].item == y.item && g.passes(g.l.sets[sup[k].set].Support, sA) {
				next = append(next, sup[k])
			}
		}
		g.bufs[size] = next
		if len(next) > 0 {
			g.walk(a, cx, next, size+1)
		}
	}
}

// emit records the rule a → c, where ac is a ∪ c, if it passes the
// filters other than confidence.
func (g *generator) emit(a, ac, c int32) {
	sets := g.l.sets
	s, sA, sC := sets[ac].Support, sets[a].Support, sets[c].Support
	n := float64(g.n)
	conf := float64(s) / float64(sA)
	lift := float64(s) * n / (float64(sA) * float64(sC))
	leverage := float64(int64(s)*int64(g.n)-int64(sA)*int64(sC)) / (n * n)
	conviction := math.Inf(1)
	if sA != s {
		conviction = float64(g.n-sC) * float64(sA) / (n * float64(sA-s))
	}
	o := g.opt
	if (o.MinLift > 0 && lift < o.MinLift) ||
		(o.MinLeverage != 0 && leverage < o.MinLeverage) ||
		(o.MinConviction > 0 && conviction < o.MinConviction) {
		return
	}
	if len(g.out) == cap(g.out) {
		if len(g.out) > 0 {
			g.full = append(g.full, g.out)
		}
		g.out = make([]Rule, 0, min(max(2*cap(g.out), 256), 1<<16))
	}
	g.out = append(g.out, Rule{
		Antecedent:        g.items[a],
		Consequent:        g.items[c],
		Support:           s,
		AntecedentSupport: sA,
		ConsequentSupport: sC,
		Confidence:        conf,
		Lift:              lift,
		Leverage:          leverage,
		Conviction:        conviction,
	})
}
