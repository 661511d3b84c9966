package crmapi

import (
	"cmp"
	"slices"
	"sync"

	"github.com/quarrydata/quarry/algorithms/sequences"
)

// Recommendation sources.
const (
	SourceRule              = "rule"
	SourceSequence          = "sequence"
	SourceSegmentBestSeller = "segment_best_seller"
	SourceBestSeller        = "best_seller"
)

// source is a recommendation's source as a small integer; rules sort
// before sequences, as the ranking wants.
type source uint8

const (
	srcRule source = iota
	srcSequence
	srcSegmentBestSeller
	srcBestSeller
)

// sourceNames are the sources as served, by source.
var sourceNames = [...]string{SourceRule, SourceSequence, SourceSegmentBestSeller, SourceBestSeller}

func (s source) String() string { return sourceNames[s] }

// candidate is the best explanation found so far for one item.
type candidate struct {
	item    int32
	src     source
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
		cmp.Compare(a.src, b.src), cmp.Compare(a.idx, b.idx), cmp.Compare(a.item, b.item))
}

// recommender collects candidates for one request. Its per-item tables
// are indexed by catalogue id and valid where they hold the current
// stamp, so a request clears nothing and allocates nothing once warm:
// recommenders are recycled through the model's pool (getRecommender,
// put).
type recommender struct {
	stamp    uint32
	excluded []uint32 // item → stamp when excluded
	offered  []uint32 // item → stamp when it has a candidate
	seen     []uint32 // item → stamp when follow has looked it up
	at       []int32  // item → index of its candidate in cands
	cands    []candidate
}

// recommenders recycles the scratch of recommendations; tables grow to
// the largest catalogue served.
var recommenders = sync.Pool{New: func() any { return new(recommender) }}

// getRecommender returns a clean recommender for a catalogue of n items.
func getRecommender(n int) *recommender {
	r := recommenders.Get().(*recommender)
	if len(r.excluded) < n {
		r.excluded, r.offered, r.seen = make([]uint32, n), make([]uint32, n), make([]uint32, n)
		r.at = make([]int32, n)
		r.stamp = 0
	}
	r.stamp++
	if r.stamp == 0 { // wrapped: old stamps could match again
		clear(r.excluded)
		clear(r.offered)
		clear(r.seen)
		r.stamp = 1
	}
	r.cands = r.cands[:0]
	return r
}

// put returns r to the pool.
func (r *recommender) put() {
	if cap(r.cands) > 1<<16 { // keep the pool's buffers modest
		r.cands = nil
	}
	recommenders.Put(r)
}

func (r *recommender) exclude(it int32) { r.excluded[it] = r.stamp }

func (r *recommender) isExcluded(it int32) bool { return r.excluded[it] == r.stamp }

func (r *recommender) has(it int32) bool { return r.offered[it] == r.stamp }

func (r *recommender) offer(c candidate) {
	if r.excluded[c.item] == r.stamp {
		return
	}
	if r.offered[c.item] != r.stamp {
		r.offered[c.item] = r.stamp
		r.at[c.item] = int32(len(r.cands))
		r.cands = append(r.cands, c)
		return
	}
	if old := &r.cands[r.at[c.item]]; better(&c, old) < 0 {
		*old = c
	}
}

// fire offers the consequents of every rule whose antecedent is
// contained in basket (sorted).
func (m *Model) fire(r *recommender, basket []int32) {
	for _, it := range basket {
		for _, ri := range m.ruleByFirst.of(it) {
			ru := &m.rules[ri]
			if !subset(ru.ant, basket) {
				continue
			}
			for _, c := range ru.cons {
				r.offer(candidate{item: c, src: srcRule, idx: ri, conf: ru.confidence, lift: ru.lift, support: ru.support})
			}
		}
	}
}

// follow offers the last element of every pattern whose prefix the
// history contains under the sequences job's constraints.
func (m *Model) follow(r *recommender, h sequences.Sequence) {
	for _, e := range h {
		for _, it := range e.Items {
			if r.seen[it] == r.stamp {
				continue
			}
			r.seen[it] = r.stamp
			for _, pi := range m.seqByHead.of(int32(it)) {
				p := &m.seqs[pi]
				if !containsPrefix(h, p.elements[:len(p.elements)-1], m.seqOpt) {
					continue
				}
				for _, c := range p.elements[len(p.elements)-1] {
					r.offer(candidate{item: c, src: srcSequence, idx: pi, conf: p.confidence, lift: p.lift, support: p.support})
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
	return prefixMatcher{h, elems, o}.match(0, -1, 0)
}

// prefixMatcher is the backtracking search of containsPrefix.
type prefixMatcher struct {
	h     sequences.Sequence
	elems [][]int32
	o     sequences.Options
}

// match reports whether elems[j:] occur after event prev, the occurrence
// having started at time start.
func (p prefixMatcher) match(j, prev int, start int64) bool {
	if j == len(p.elems) {
		return true
	}
	h, o := p.h, p.o
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
		if !subsetU(p.elems[j], h[i].Items) {
			continue
		}
		s := start
		if prev < 0 {
			s = h[i].Time
		}
		if p.match(j+1, i, s) {
			return true
		}
	}
	return false
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

// ranked sorts the candidates best first and returns at most k of them,
// in r's own storage.
func (r *recommender) ranked(k int) []candidate {
	slices.SortFunc(r.cands, func(a, b candidate) int { return better(&a, &b) })
	return r.cands[:min(k, len(r.cands))]
}

// fill appends best-sellers not excluded nor offered until k; segment < 0
// uses the overall best-sellers.
func (m *Model) fill(out []candidate, r *recommender, segment, k int) []candidate {
	best, src, size := m.overall, srcBestSeller, len(m.customers)
	if segment >= len(m.segments) {
		segment = -1
	}
	if segment >= 0 {
		best, src, size = m.segments[segment].best, srcSegmentBestSeller, m.segments[segment].Size
	}
	for i, b := range best {
		if len(out) >= k {
			break
		}
		if r.isExcluded(b.item) || r.has(b.item) {
			continue
		}
		share := 0.0
		if size > 0 {
			share = float64(b.customers) / float64(size)
		}
		out = append(out, candidate{item: b.item, src: src, idx: int32(i), conf: share, support: b.customers, segment: segment})
	}
	return out
}

// recommendCustomer recommends k items to c with r: rules fired by each
// recent basket and patterns whose prefix c's history contains, excluding
// the recent baskets' items, then segment best-sellers. The answer lives
// in r's storage, valid until r is put back.
func (m *Model) recommendCustomer(r *recommender, c *customer, k int) []candidate {
	for _, b := range c.recent {
		for _, it := range b {
			r.exclude(it)
		}
	}
	for _, b := range c.recent {
		m.fire(r, b)
	}
	m.follow(r, c.history)
	return r.keep(m.fill(r.ranked(k), r, c.segment, k))
}

// keep makes out, which fill may have moved to a larger array, r's
// storage for the next request, and returns it.
func (r *recommender) keep(out []candidate) []candidate {
	if cap(out) > cap(r.cands) {
		r.cands = out[:0]
	}
	return out
}

// recommendBasket recommends k items for a sorted basket of distinct item
// ids with r: rules fired by the basket, excluding its items, then overall
// best-sellers. The answer lives in r's storage.
func (m *Model) recommendBasket(r *recommender, basket []int32, k int) []candidate {
	for _, it := range basket {
		r.exclude(it)
	}
	m.fire(r, basket)
	return r.keep(m.fill(r.ranked(k), r, -1, k))
}

// forCustomer is recommendCustomer on a recommender of its own, the
// answer copied out.
func (m *Model) forCustomer(c *customer, k int) []candidate {
	r := getRecommender(len(m.items))
	defer r.put()
	return slices.Clone(m.recommendCustomer(r, c, k))
}

// forBasket is recommendBasket on any basket of item ids, the answer
// copied out.
func (m *Model) forBasket(basket []int32, k int) []candidate {
	basket = slices.Clone(basket)
	sortIDs(basket)
	basket = slices.Compact(basket)
	r := getRecommender(len(m.items))
	defer r.put()
	return slices.Clone(m.recommendBasket(r, basket, k))
}
