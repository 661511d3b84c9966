package kmeans

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// part is one partition of a distributed run: rows with global ids.
type part struct {
	x   Matrix
	ids []int64
}

// randomPartition deals the rows of x into nparts partitions in a random
// order (so a partition's rows are neither contiguous nor sorted).
func randomPartition(r *rand.Rand, x Matrix, nparts int) []part {
	parts := make([]part, nparts)
	for i := range parts {
		parts[i].x.Cols = x.Cols
	}
	for _, i := range r.Perm(x.Rows) {
		p := &parts[r.IntN(nparts)]
		p.x.Data = append(p.x.Data, x.Row(i)...)
		p.x.Rows++
		p.ids = append(p.ids, int64(i))
	}
	return parts
}

// distributedFit is what the cluster does: every step partition by
// partition, merged, in a shuffled merge order.
func distributedFit(t *testing.T, r *rand.Rand, parts []part, o Options) (Matrix, []int32, float64, int, bool) {
	t.Helper()
	o, _ = o.withDefaults(parts[0].x)
	var bounds Bounds
	for _, p := range parts {
		bounds = bounds.Merge(ComputeBounds(p.x))
	}
	moments := NewMoments(parts[0].x, bounds)
	for _, p := range parts[1:] {
		moments, _ = moments.Merge(NewMoments(p.x, bounds))
	}
	tolAbs := o.Tol * moments.MeanVariance()

	// k-means||.
	sp := make([]*SeedPart, len(parts))
	var firsts []Candidate
	for i, p := range parts {
		sp[i], _ = NewSeedPart(p.x, p.ids)
		if c, ok := sp[i].First(o.Seed); ok {
			firsts = append(firsts, c)
		}
	}
	cands := candidatesMatrix(Matrix{Cols: parts[0].x.Cols}, []Candidate{MergeFirst(firsts...)})
	for round := 1; round <= o.Rounds || cands.Rows < o.K; round++ {
		costs := make([]Cost, len(parts))
		for i := range sp {
			costs[i] = sp[i].Update(cands, bounds)
		}
		cost, err := MergeCosts(costs...)
		if err != nil {
			t.Fatal(err)
		}
		if cost.Sum == (Int128{}) {
			break
		}
		var samples [][]Candidate
		for _, i := range r.Perm(len(sp)) {
			samples = append(samples, sp[i].Sample(cost, o.Oversampling, o.Seed, round))
		}
		cands = candidatesMatrix(cands, SortCandidates(samples...))
	}
	weights := make([]int64, cands.Rows)
	for i := range sp {
		fresh, _ := NewSeedPart(parts[i].x, parts[i].ids) // a retried task starts afresh
		fresh.Update(cands, bounds)
		for j, v := range fresh.Weights() {
			weights[j] += v
		}
	}
	c, err := ReduceCandidates(cands, weights, o.K, o.Trials, o.Seed)
	if err != nil {
		t.Fatal(err)
	}

	// Lloyd rounds.
	it, converged := 0, false
	for it < o.MaxIter {
		it++
		step, err := NewStep(c, bounds)
		if err != nil {
			t.Fatal(err)
		}
		var ps []Partial
		for _, i := range r.Perm(len(parts)) {
			p, err := step.Accumulate(parts[i].x)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		merged, err := MergePartials(ps...)
		if err != nil {
			t.Fatal(err)
		}
		var shift float64
		c, shift = merged.Centroids(c)
		if shift <= tolAbs {
			converged = true
			break
		}
	}
	step, _ := NewStep(c, bounds)
	labels := make([]int32, moments.N)
	var ps []Partial
	for _, p := range parts {
		l := make([]int32, p.x.Rows)
		pp, _ := step.AccumulateLabels(p.x, l)
		ps = append(ps, pp)
		for j, id := range p.ids {
			labels[id] = l[j]
		}
	}
	merged, _ := MergePartials(ps...)
	return c, labels, merged.InertiaValue(), it, converged
}

func TestDistributedEqualsFit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 6; trial++ {
		x := blobs(r, 300+r.IntN(3000), 1+r.IntN(9), 2+r.IntN(6), 1+r.Float64()*3, []float64{0, 0.5}[r.IntN(2)])
		o := Options{K: 2 + r.IntN(10), Init: KMeansParallel, Seed: r.Uint64(), Tol: []float64{0, 1e-4}[r.IntN(2)]}
		want := mustFit(t, x, o)
		for nparts := 1; nparts <= 8; nparts++ {
			t.Run(fmt.Sprintf("trial%d/parts%d", trial, nparts), func(t *testing.T) {
				c, labels, inertia, it, conv := distributedFit(t, r, randomPartition(r, x, nparts), o)
				got := Result{K: o.K, Centroids: c, Labels: labels, Inertia: inertia, Iterations: it, Converged: conv}
				sameResult(t, "distributed", got, want)
			})
		}
	}
}

func TestPartialMergeBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for trial := 0; trial < 300; trial++ {
		// Wildly varying magnitudes: float summation order would matter.
		n, d, k := 1+r.IntN(200), 1+r.IntN(5), 1+r.IntN(5)
		x := Matrix{Rows: n, Cols: d, Data: make([]float64, n*d)}
		for i := range x.Data {
			x.Data[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-6))
		}
		c := Matrix{Rows: k, Cols: d, Data: make([]float64, k*d)}
		for i := range c.Data {
			c.Data[i] = r.NormFloat64()
		}
		b := ComputeBounds(x)
		step, _ := NewStep(c, b)
		whole, _ := step.Accumulate(x)
		want, wantShift := whole.Centroids(c)
		parts := randomPartition(r, x, 1+r.IntN(8))
		var ps []Partial
		for _, p := range parts {
			pp, _ := step.Accumulate(p.x)
			ps = append(ps, pp)
		}
		merged, _ := MergePartials(ps...)
		got, gotShift := merged.Centroids(c)
		if !sameBits(got.Data, want.Data) || gotShift != wantShift || merged.Inertia != whole.Inertia {
			t.Fatalf("trial %d: got %v; want %v", trial, got.Data, want.Data)
		}
		// Precision: each centroid within 2^-53·bound of the exact mean
		// (plus its own rounding); skipped when a cluster was re-seeded.
		if slices.Contains(whole.Counts, 0) {
			continue
		}
		for j := 0; j < k; j++ {
			if whole.Counts[j] == 0 {
				continue
			}
			for i := 0; i < d; i++ {
				exact := new(big.Float).SetPrec(2000)
				for p := 0; p < n; p++ {
					if nearestIndex(x.Row(p), c) == j {
						exact.Add(exact, new(big.Float).SetFloat64(x.Data[p*d+i]))
					}
				}
				exact.Quo(exact, new(big.Float).SetInt64(whole.Counts[j]))
				e, _ := exact.Float64()
				tol := math.Ldexp(b[i], -53) + math.Abs(e)*0x1p-53
				if math.Abs(got.Data[j*d+i]-e) > tol {
					t.Fatalf("trial %d: centroid %d col %d got %v; want %v ± %v", trial, j, i, got.Data[j*d+i], e, tol)
				}
			}
		}
	}
}

func nearestIndex(x []float64, c Matrix) int {
	best, bd := 0, math.Inf(1)
	for j := 0; j < c.Rows; j++ {
		if v := dist2(x, c.Row(j)); v < bd {
			best, bd = j, v
		}
	}
	return best
}

func TestAccumulateRejectsOutOfBounds(t *testing.T) {
	x, _ := NewMatrix([][]float64{{1, 2}, {3, 4}})
	step, _ := NewStep(x, Bounds{3, 4})
	if _, err := step.Accumulate(Matrix{Rows: 1, Cols: 2, Data: []float64{5, 0}}); err == nil {
		t.Fatalf("got nil error; want ErrOutOfBounds")
	}
}

func TestMergePartialsRejectsMalformed(t *testing.T) {
	step, err := NewStep(Matrix{Rows: 2, Cols: 1, Data: []float64{1, 2}}, Bounds{2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := step.Accumulate(Matrix{Rows: 2, Cols: 1, Data: []float64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	badLabel := p.clone()
	badLabel.Far[0].Label = 5
	for name, q := range map[string]Partial{
		"no sums":     {K: 2, Cols: 1, Exps: p.Exps, InertiaExp: p.InertiaExp},
		"short row":   {K: 2, Cols: 1, Exps: p.Exps, InertiaExp: p.InertiaExp, Sums: p.Sums, Counts: p.Counts, Far: []FarPoint{{Label: 0}}},
		"bad label":   badLabel,
		"zero k":      {},
		"extra count": {K: 2, Cols: 1, Exps: p.Exps, InertiaExp: p.InertiaExp, Sums: p.Sums, Counts: []int64{1, 1, 1}},
	} {
		t.Run(name, func(t *testing.T) {
			// Used to panic with an index out of range.
			for _, ps := range [][]Partial{{p, q}, {q, p}, {q}} {
				if _, err := MergePartials(ps...); !errors.Is(err, ErrMismatch) {
					t.Errorf("got error %v; want ErrMismatch", err)
				}
			}
		})
	}
}
