package kmeans

import (
	"fmt"
	"slices"
)

// This file is k-means|| (Bahmani et al., "Scalable k-means++", 2012) in
// pieces a cluster can run partition by partition. Every random choice is a
// hash of (seed, round, row id), where the row id is the row's global index,
// so the candidates do not depend on how the rows are partitioned:
//
//	first := min over parts of part.First(seed)            (by Key, then ID)
//	cands := [first]
//	for round := 1; round <= rounds (or more while len(cands) < k); round++ {
//	    cost := MergeCosts(part.Update(cands, bounds) for each part)
//	    if cost is 0: stop (fewer than k distinct points if len(cands) < k)
//	    cands += SortCandidates(part.Sample(cost, ℓ, seed, round) for each part)
//	}
//	part.Update(cands, bounds) for each part
//	weights := Σ over parts of part.Weights()
//	centroids := ReduceCandidates(cands, weights, k, trials, seed)

// Candidate is a k-means|| candidate: a data row and its global row id.
type Candidate struct {
	ID  int64
	Key uint64 // hash deciding the first candidate; unused afterwards
	Row []float64
}

// SeedPart is one partition's state during k-means|| seeding: per row the
// squared distance to, and index of, the nearest candidate so far.
type SeedPart struct {
	x    Matrix
	ids  []int64
	base int64
	d2   []float64
	near []int32
	seen int
}

// NewSeedPart returns the seeding state of a partition whose row i has the
// global id ids[i].
func NewSeedPart(x Matrix, ids []int64) (*SeedPart, error) {
	if len(ids) != x.Rows {
		return nil, fmt.Errorf("%w: %d ids for %d rows", ErrShape, len(ids), x.Rows)
	}
	return &SeedPart{x: x, ids: ids, d2: make([]float64, x.Rows), near: make([]int32, x.Rows)}, nil
}

// NewSeedPartRange returns the seeding state of a partition holding the
// consecutive global rows first, first+1, ….
func NewSeedPartRange(x Matrix, first int64) *SeedPart {
	return &SeedPart{x: x, base: first, d2: make([]float64, x.Rows), near: make([]int32, x.Rows)}
}

func (p *SeedPart) id(i int) int64 {
	if p.ids != nil {
		return p.ids[i]
	}
	return p.base + int64(i)
}

// First returns the partition's proposal for the first candidate: the row
// with the smallest hash of (seed, id), ties by id. ok is false for an empty
// partition.
func (p *SeedPart) First(seed uint64) (c Candidate, ok bool) {
	for i := 0; i < p.x.Rows; i++ {
		id := p.id(i)
		k := mix(seed, 0, uint64(id))
		if !ok || k < c.Key || (k == c.Key && id < c.ID) {
			c, ok = Candidate{ID: id, Key: k, Row: p.x.Row(i)}, true
		}
	}
	if ok {
		c.Row = slices.Clone(c.Row)
	}
	return c, ok
}

// MergeFirst returns the winning first candidate among the partitions'
// proposals (the smallest Key, ties by ID).
func MergeFirst(cs ...Candidate) Candidate {
	best := cs[0]
	for _, c := range cs[1:] {
		if c.Key < best.Key || (c.Key == best.Key && c.ID < best.ID) {
			best = c
		}
	}
	return best
}

// Cost is the exact fixed-point potential Σ D² of a partition, D being the
// distance to the nearest candidate. Costs of one round merge exactly.
type Cost struct {
	Sum Int128
	Exp int // Sum is in units of 2^-Exp
}

// Value returns the cost as a float64.
func (c Cost) Value() float64 { return fixedValue(c.Sum, c.Exp) }

// MergeCosts returns the exact sum of the costs of one round.
func MergeCosts(cs ...Cost) (Cost, error) {
	out := Cost{Exp: cs[0].Exp}
	for _, c := range cs {
		if c.Exp != out.Exp {
			return Cost{}, fmt.Errorf("%w: costs of different rounds", ErrMismatch)
		}
		out.Sum = out.Sum.Add(c.Sum)
	}
	return out, nil
}

// Update takes the candidates not yet seen (cands holds all candidates so
// far, in their canonical order) into account and returns the partition's
// cost. A fresh SeedPart given the full list reaches the same state.
func (p *SeedPart) Update(cands Matrix, bounds Bounds) Cost {
	for j := p.seen; j < cands.Rows; j++ {
		cr := cands.Row(j)
		for i := 0; i < p.x.Rows; i++ {
			v := dist2(p.x.Row(i), cr)
			if j == 0 || v < p.d2[i] {
				p.d2[i], p.near[i] = v, int32(j)
			}
		}
	}
	p.seen = cands.Rows
	e := scaleExp(distBound(bounds, cands), 1)
	sc := pow2(e)
	var s Int128
	for _, v := range p.d2 {
		s.addInt64(quantize(v, sc))
	}
	return Cost{Sum: s, Exp: e}
}

// Sample returns the rows picked in this round: row x with probability
// min(1, ℓ·D²(x)/cost), decided by a hash of (seed, round, id). Rows at
// distance 0 from the candidates are never picked.
func (p *SeedPart) Sample(cost Cost, ell float64, seed uint64, round int) []Candidate {
	psi := cost.Value()
	var out []Candidate
	if !(psi > 0) {
		return nil
	}
	for i, v := range p.d2 {
		if v <= 0 {
			continue
		}
		id := p.id(i)
		if unit(mix(seed, uint64(round), uint64(id))) < ell*v/psi {
			out = append(out, Candidate{ID: id, Row: slices.Clone(p.x.Row(i))})
		}
	}
	return out
}

// SortCandidates concatenates the partitions' samples of one round in
// increasing ID order, the canonical order of candidates.
func SortCandidates(lists ...[]Candidate) []Candidate {
	var out []Candidate
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// Weights returns, per candidate seen by the last Update, the number of the
// partition's rows nearest to it (ties: the lowest candidate index).
func (p *SeedPart) Weights() []int64 {
	w := make([]int64, p.seen)
	for _, j := range p.near {
		w[j]++
	}
	return w
}

// ReduceCandidates chooses k centroids among the weighted candidates by
// weighted greedy k-means++ seeded with seed.
func ReduceCandidates(cands Matrix, weights []int64, k, trials int, seed uint64) (Matrix, error) {
	if len(weights) != cands.Rows {
		return Matrix{}, fmt.Errorf("%w: %d weights for %d candidates", ErrShape, len(weights), cands.Rows)
	}
	if cands.Rows < k {
		return Matrix{}, ErrTooFewDistinct
	}
	w := make([]float64, len(weights))
	for i, v := range weights {
		w[i] = float64(v)
	}
	if trials < 1 {
		trials = defaultTrials(k)
	}
	return plusPlus(cands, w, k, trials, 1, newRand(seed, 2))
}

// candidatesMatrix appends candidates' rows to m.
func candidatesMatrix(m Matrix, cs []Candidate) Matrix {
	for _, c := range cs {
		m.Data = append(m.Data, c.Row...)
		m.Rows++
	}
	return m
}

// MaxExtraRounds bounds the k-means|| rounds run beyond Options.Rounds
// while fewer than k candidates have been found; a distributed seeding loop
// must stop at the same round as Fit.
const MaxExtraRounds = 64

// seedParallel runs k-means|| over parts with up to workers goroutines.
func seedParallel(parts []*SeedPart, bounds Bounds, o Options, seed uint64) (Matrix, error) {
	firsts := make([]Candidate, 0, len(parts))
	for _, p := range parts {
		if c, ok := p.First(seed); ok {
			firsts = append(firsts, c)
		}
	}
	if len(firsts) == 0 {
		return Matrix{}, ErrTooFewDistinct
	}
	cands := candidatesMatrix(Matrix{Cols: parts[0].x.Cols}, []Candidate{MergeFirst(firsts...)})
	costs := make([]Cost, len(parts))
	samples := make([][]Candidate, len(parts))
	update := func() (Cost, error) {
		forEach(len(parts), o.Workers, func(i int) { costs[i] = parts[i].Update(cands, bounds) })
		return MergeCosts(costs...)
	}
	for round := 1; round <= o.Rounds+MaxExtraRounds; round++ {
		if round > o.Rounds && cands.Rows >= o.K {
			break
		}
		cost, err := update()
		if err != nil {
			return Matrix{}, err
		}
		if cost.Sum == (Int128{}) {
			break
		}
		forEach(len(parts), o.Workers, func(i int) {
			samples[i] = parts[i].Sample(cost, o.Oversampling, seed, round)
		})
		cands = candidatesMatrix(cands, SortCandidates(samples...))
	}
	if _, err := update(); err != nil {
		return Matrix{}, err
	}
	weights := make([]int64, cands.Rows)
	for _, p := range parts {
		for j, v := range p.Weights() {
			weights[j] += v
		}
	}
	return ReduceCandidates(cands, weights, o.K, o.Trials, seed)
}

// forEach calls fn(i) for i in [0, n) on up to workers goroutines.
func forEach(n, workers int, fn func(i int)) {
	forChunks(n*chunkRows, workers, func(_, c, _, _ int) { fn(c) })
}
