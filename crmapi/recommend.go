package crmapi

import (
	"cmp"
	"slices"

	"github.com/quarrydata/quarry/algorithms/sequences"
)

// Recommendation sources.
const (
	SourceRule              = "rule"
	SourceSequence          = "sequence"
	SourceSegmentBestSeller = "segment_best_seller"
	SourceBestSeller        = "best_seller"
)

// candidate is the best explanation found so far for one item.
type candidate struct {
	item    int32
	source  string
	idx     int32 // rule or pattern index
	conf    float64
	lift    float64
	support int
	segment int // best-sellers: the segment, or -1
}

// better orders explanations: higher confidence, then higher lift, then
// higher support, rules before sequences, then the lower index in the
// result file's canonical order.
func better(a, b *candidate) int {
	return cmp.Or(cmp.Compare(b.conf, a.conf), cmp.Compare(b.lift, a.lift), cmp.Compare(b.support, a.support),
		cmp.Compare(a.source, b.source), cmp.Compare(a.idx, b.idx), cmp.Compare(a.item, b.item))
}

// recommender collects candidates.
type recommender struct {
	exclude map[int32]bool
	best    map[int32]*candidate
}

func (r *recommender) offer(c candidate) {
	if r.exclude[c.item] {
		return
	}
	if old := r.best[c.item]; old == nil || better(&c, old) < 0 {
		r.best[c.item] = &c
	}
}

// fire offers the consequents of every rule whose antecedent is
// contained in basket (sorted).
func (m *Model) fire(r *recommender, basket []int32) {
	for _, it := range basket {
		for _, ri := range m.ruleByFirst[it] {
			ru := &m.rules[ri]
			if !subset(ru.ant, basket) {
				continue
			}
			for _, c := range ru.cons {
				r.offer(candidate{item: c, source: SourceRule, idx: ri, conf: ru.confidence, lift: ru.lift, support: ru.support})
			}
		}
	}
}

// follow offers the last element of every pattern whose prefix the
// history contains under the sequences job's constraints.
func (m *Model) follow(r *recommender, h sequences.Sequence) {
	seen := map[uint32]bool{}
	for _, e := range h {
		for _, it := range e.Items {
			if seen[it] {
				continue
			}
			seen[it] = true
			for _, pi := range m.seqByHead[int32(it)] {
				p := &m.seqs[pi]
				if !containsPrefix(h, p.elements[:len(p.elements)-1], m.seqOpt) {
					continue
				}
				for _, c := range p.elements[len(p.elements)-1] {
					r.offer(candidate{item: c, source: SourceSequence, idx: pi, conf: p.confidence, lift: p.lift, support: p.support})
				}
			}
		}
	}
}

// containsPrefix reports whether h contains the elements in order, each
// in a strictly later event, with consecutive events at least MinGap and
// (when set) at most MaxGap apart, and the whole occurrence within
// MaxWindow (when set).
func containsPrefix(h sequences.Sequence, elems [][]int32, o sequences.Options) bool {
	var match func(j, prev int, start int64) bool
	match = func(j, prev int, start int64) bool {
		if j == len(elems) {
			return true
		}
		for i := prev + 1; i < len(h); i++ {
			if prev >= 0 {
				gap := h[i].Time - h[prev].Time
				if gap < o.MinGap {
					continue
				}
				if o.MaxGap > 0 && gap > o.MaxGap {
					return false
				}
				if o.MaxWindow > 0 && h[i].Time-start > o.MaxWindow {
					return false
				}
			}
			if !subsetU(elems[j], h[i].Items) {
				continue
			}
			s := start
			if prev < 0 {
				s = h[i].Time
			}
			if match(j+1, i, s) {
				return true
			}
		}
		return false
	}
	return match(0, -1, 0)
}

// subsetU reports whether sorted a is contained in sorted b.
func subsetU(a []int32, b []uint32) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < uint32(x) {
			j++
		}
		if j == len(b) || b[j] != uint32(x) {
			return false
		}
		j++
	}
	return true
}

// ranked returns the candidates best first, at most k.
func (r *recommender) ranked(k int) []candidate {
	out := make([]candidate, 0, len(r.best))
	for _, c := range r.best {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b candidate) int { return better(&a, &b) })
	return out[:min(k, len(out))]
}

// fill appends best-sellers not excluded nor present until k; segment < 0
// uses the overall best-sellers.
func (m *Model) fill(out []candidate, r *recommender, segment, k int) []candidate {
	best, src, size := m.overall, SourceBestSeller, len(m.customers)
	if segment >= len(m.segments) {
		segment = -1
	}
	if segment >= 0 {
		best, src, size = m.segments[segment].best, SourceSegmentBestSeller, m.segments[segment].Size
	}
	for i, b := range best {
		if len(out) >= k {
			break
		}
		if r.exclude[b.item] || r.best[b.item] != nil {
			continue
		}
		share := 0.0
		if size > 0 {
			share = float64(b.customers) / float64(size)
		}
		out = append(out, candidate{item: b.item, source: src, idx: int32(i), conf: share, support: b.customers, segment: segment})
	}
	return out
}

// forCustomer recommends k items to c: rules fired by each recent basket
// and patterns whose prefix c's history contains, excluding the recent
// baskets' items, then segment best-sellers.
func (m *Model) forCustomer(c *customer, k int) []candidate {
	n := 0
	for _, b := range c.recent {
		n += len(b)
	}
	r := &recommender{exclude: make(map[int32]bool, n), best: make(map[int32]*candidate, 4*k)}
	for _, b := range c.recent {
		for _, it := range b {
			r.exclude[it] = true
		}
	}
	for _, b := range c.recent {
		m.fire(r, b)
	}
	m.follow(r, c.history)
	return m.fill(r.ranked(k), r, c.segment, k)
}

// forBasket recommends k items for a basket of item ids: rules fired by
// the basket, excluding its items, then overall best-sellers.
func (m *Model) forBasket(basket []int32, k int) []candidate {
	basket = slices.Clone(basket)
	sortIDs(basket)
	basket = slices.Compact(basket)
	r := &recommender{exclude: make(map[int32]bool, len(basket)), best: make(map[int32]*candidate, 4*k)}
	for _, it := range basket {
		r.exclude[it] = true
	}
	m.fire(r, basket)
	return m.fill(r.ranked(k), r, -1, k)
}
